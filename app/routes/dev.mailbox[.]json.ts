import { json, type LoaderFunctionArgs } from "@remix-run/cloudflare";
import { isOutboxReadable, listOutboxMessages } from "~/lib/mail/outbox.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!isOutboxReadable(request, context.config)) throw new Response("Not Found", { status: 404 });
  return json(await listOutboxMessages(context.db));
}
