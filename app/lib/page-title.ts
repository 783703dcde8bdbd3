/** Page titles read "What · Product": the product's name comes from the root loader (BRAND_NAME). */
type Match = { id: string; data?: unknown };

export function pageTitle(matches: Match[], what: string): string {
  const root = matches.find((match) => match.id === "root")?.data as { brand?: { name?: string } } | undefined;
  return `${what} · ${root?.brand?.name ?? "Latchkey"}`;
}
