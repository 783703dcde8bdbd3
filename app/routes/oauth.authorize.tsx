import { data, redirect, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { authorize } from "~/provider/authorize.server";
import { sendToApp } from "~/provider/to-app.server";
import { AUTHORIZE_PROBLEMS } from "~/auth/messages";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { CardPage } from "~/components/card-page";
import { ContinueToApp, continueMeta } from "~/components/continue-to-app";

export const meta: MetaFunction<typeof loader> = ({ data }) =>
  data?.kind === "continue" ? [{ title: "Returning to the app · Latchkey" }, continueMeta(data.location)] : [{ title: "Sign in to an app · Latchkey" }];

// The URL and the way back carry the app's state and our code: never hand them on through Referer.
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "no-referrer" });

/** GET /oauth/authorize: parse → one domain call → a redirect, a page on the way, or a problem page. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request, context);
  const outcome = await authorize(context, { query: new URL(request.url).searchParams, signedIn, client: context.client });
  switch (outcome.kind) {
    case "interaction":
      throw redirect(outcome.location, { status: 303 });
    case "to-app":
      return sendToApp(request, { location: outcome.location, clientName: outcome.clientName });
    case "problem":
      return data({ kind: "problem" as const, problem: outcome.problem }, { status: 400 });
  }
}

export default function Authorize() {
  const data = useLoaderData<typeof loader>();
  if (data.kind === "continue") return <ContinueToApp location={data.location} clientName={data.clientName} />;
  const copy = AUTHORIZE_PROBLEMS[data.problem];
  return (
    <CardPage title={copy.title}>
      <p role="alert">{copy.message}</p>
      <p>
        <Link className="button secondary" to="/">
          Go to Latchkey
        </Link>
      </p>
    </CardPage>
  );
}
