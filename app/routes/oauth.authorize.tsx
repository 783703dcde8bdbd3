import { data, redirect, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { authorize, type AuthorizePageProblem } from "~/provider/authorize.server";
import { sendToApp } from "~/provider/to-app.server";
import { getSignedIn } from "~/auth/session.server";
import { CardPage } from "~/components/card-page";
import { ContinueToApp, continueMeta } from "~/components/continue-to-app";

/** What the person sees when an app's sign-in request can't be answered safely (never a redirect: OP-2). */
const PROBLEMS: Record<AuthorizePageProblem, { title: string; message: string }> = {
  "missing-client": {
    title: "This sign-in link is incomplete",
    message: "The app that sent you here didn't say who it is (client_id is missing). Go back to the app and try again; if it keeps happening, tell whoever runs it.",
  },
  "unknown-client": {
    title: "This app isn't known here",
    message: "The app that sent you here isn't registered with this Latchkey, or it has been disabled. Go back to the app; if it keeps happening, tell whoever runs it.",
  },
  "missing-redirect-uri": {
    title: "This sign-in link is incomplete",
    message: "The app didn't say where to send you back (redirect_uri is missing), so we can't continue. Go back to the app and try again.",
  },
  "unregistered-redirect-uri": {
    title: "We can't send you back to that address",
    message: "The app asked us to send you to an address it hasn't registered (redirect_uri), so we won't. Nothing was shared. Go back to the app; if it keeps happening, tell whoever runs it.",
  },
  "expired-request": {
    title: "This sign-in took too long",
    message: "The app's request has expired or was already completed. Go back to the app and sign in again.",
  },
};

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
  const copy = PROBLEMS[data.problem];
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
