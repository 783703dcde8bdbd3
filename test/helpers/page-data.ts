/**
 * Reads what a page's loaders handed it, the way the browser does. With single fetch the page carries
 * its data as a turbo-stream (not JSON) in `streamController.enqueue("…")` scripts, and `/<route>.data`
 * answers carry the same format; both are decoded here with the turbo-stream version Remix uses.
 */
import { decode, type DecodePlugin } from "turbo-stream";

/** Remix's own types (redirects, error responses) come back as `{ type, values }`, e.g. `{ type: "SingleFetchRedirect", values: [{ redirect, status }] }`. */
const remixTypes: DecodePlugin = (type, ...values) => ({ value: { type, values } });

function streamOf(text: string): ReadableStream<Uint8Array> {
  return new Blob([text]).stream();
}

/** The `loaderData` of a server-rendered page, by route id (e.g. "routes/login"). */
export async function pageLoaderData(html: string): Promise<Record<string, unknown>> {
  // Each chunk is a JSON string literal (Remix escapes <, > and & inside it as \u003c etc.).
  const chunks = [...html.matchAll(/streamController\.enqueue\(("(?:[^"\\]|\\.)*")\);<\/script>/g)].map((m) => JSON.parse(m[1]!) as string);
  if (chunks.length === 0) throw new Error("no single-fetch data in the page");
  const { value, done } = await decode(streamOf(chunks.join("")), { plugins: [remixTypes] });
  await done;
  return (value as { loaderData: Record<string, unknown> }).loaderData;
}

/** A `/<route>.data` answer, decoded: `{ [routeId]: { data } | { error } }` for loaders, `{ data } | { error }` for an action. */
export async function singleFetchData(response: Response): Promise<unknown> {
  const { value, done } = await decode(streamOf(await response.text()), { plugins: [remixTypes] });
  await done;
  return value;
}
