// The floor for `npm run bench`: the cheapest possible Worker, served by the same wrangler/workerd.
export default {
  fetch(): Response {
    return new Response("ok", { headers: { "Content-Type": "text/plain" } });
  },
};
