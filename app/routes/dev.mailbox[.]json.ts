import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { isOutboxReadable, listOutboxMessages } from "~/lib/mail/outbox.server";

// A resource route answers with a Response of its own: under single fetch only UI routes get turbo-stream.
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!isOutboxReadable(request, context.config)) throw new Response("Not Found", { status: 404 });
  return Response.json(await listOutboxMessages(context.db));
}
