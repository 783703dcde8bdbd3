/**
 * Dates as the pages show them. The server doesn't know the reader's time zone, so it renders UTC,
 * labelled so; in the browser the same instant is re-rendered in the reader's own zone and locale
 * (components/local-time.tsx). Without JavaScript the UTC text stays, which is still correct.
 */
const utcFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export function formatDate(iso: string | Date): string {
  return `${utcFormat.format(new Date(iso))} UTC`;
}

/** The instant in the reader's zone and locale (undefined: the runtime's own), e.g. "1 Dec 2026, 15:01". */
export function formatLocalDate(iso: string | Date, locale?: string | string[], timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(new Date(iso));
}
