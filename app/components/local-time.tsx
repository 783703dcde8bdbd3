import { useEffect, useState } from "react";
import { formatDate, formatLocalDate } from "~/lib/dates";

/**
 * An instant as text: UTC from the server (so the first render matches and hydration stays quiet),
 * then the reader's own zone and locale once the page runs in their browser.
 */
export function useLocalDate(iso: string | Date): string {
  const [local, setLocal] = useState<string | null>(null);
  const instant = new Date(iso).toISOString();
  useEffect(() => setLocal(formatLocalDate(instant)), [instant]);
  return local ?? formatDate(instant);
}

/** `<time datetime>` carrying the exact instant, shown in the reader's zone (UTC until the page hydrates). */
export function LocalTime({ at }: { at: string | Date }) {
  const text = useLocalDate(at);
  const instant = new Date(at).toISOString();
  return (
    <time dateTime={instant} title={formatDate(instant)}>
      {text}
    </time>
  );
}
