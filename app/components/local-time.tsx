import { useEffect, useState } from "react";
import { formatDate, formatLocalDate } from "~/lib/dates";

/**
 * `<time datetime>` carrying the exact instant. Its text is UTC from the server (so the first render
 * matches and hydration stays quiet), then the reader's own zone and locale once the page runs in their
 * browser; the UTC text stays as its title.
 */
export function LocalTime({ at }: { at: string | Date }) {
  const instant = new Date(at).toISOString();
  const utc = formatDate(instant);
  const [local, setLocal] = useState<string | null>(null);
  useEffect(() => setLocal(formatLocalDate(instant)), [instant]);
  return (
    <time dateTime={instant} title={utc}>
      {local ?? utc}
    </time>
  );
}
