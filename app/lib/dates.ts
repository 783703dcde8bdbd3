/** Dates as the pages show them: always UTC and labelled so, since the server doesn't know the reader's zone. */
const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export function formatDate(iso: string | Date): string {
  return `${dateFormat.format(new Date(iso))} UTC`;
}
