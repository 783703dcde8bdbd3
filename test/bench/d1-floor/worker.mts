// The D1 floor for `npm run bench`: the cheapest Worker that reads D1, served by the same wrangler/workerd
// and the same local D1 as Latchkey. Each request reads one row, chosen at random, by primary key from a
// table of 100,000 session-sized rows and returns it as JSON. A Latchkey route that needs one D1 round
// trip can't be faster than this; the bench reports every D1 route as a ratio to it.
interface Env {
  DB: { prepare(query: string): { bind(...values: unknown[]): { first(): Promise<Record<string, unknown> | null> } } };
}

const ROWS = 100_000;

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const id = 1 + Math.floor(Math.random() * ROWS);
    const row = await env.DB.prepare("SELECT * FROM sessions WHERE id = ?").bind(id).first();
    return Response.json(row);
  },
};
