/**
 * Dates as the pages show them. The server doesn't know the reader's time zone, so it renders UTC,
 * labelled so; in the browser the same instant is re-rendered in the reader's own zone and locale
 * (components/local-time.tsx). Without JavaScript the UTC text stays, which is still correct.
 */
const utcFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export function formatDate(iso: string | Date): string {
  return `${utcFormat.format(new Date(iso))} UTC`;
}

/** The instant in the runtime's own zone and locale (in the browser: the reader's), e.g. "1 Dec 2026, 15:01". */
export function formatLocalDate(iso: string | Date): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
