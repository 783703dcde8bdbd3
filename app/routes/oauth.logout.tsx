import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useLoaderData, useLocation, useNavigation } from "@remix-run/react";
import { inspectLogoutRequest } from "~/provider/logout.server";
import { sendToApp } from "~/provider/to-app.server";
import { LOGOUT_PROBLEMS } from "~/auth/messages";
import { getSignedIn, signOut } from "~/auth/session/signed-in.server";
import { readSessionToken, serializeExpiredSessionCookie } from "~/auth/session/cookies.server";
import { CardPage } from "~/components/card-page";
import { ContinueToApp, continueMeta } from "~/components/continue-to-app";

export const meta: MetaFunction<typeof loader> = ({ data }) =>
  data?.kind === "continue" ? [{ title: "Returning to the app · Latchkey" }, continueMeta(data.location)] : [{ title: "Sign out · Latchkey" }];

// The query carries an ID token: never hand it on through Referer.
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "no-referrer" });

/**
 * GET /oauth/logout (RP-initiated logout). Signed in: ask first (a GET never signs out, WEB-1), as the
 * spec recommends. Signed out: straight back to the app's registered post-logout URI, if any.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request, context);
  const logout = await inspectLogoutRequest(context, new URL(request.url).searchParams);
  if (!signedIn && logout.returnTo) {
    return sendToApp(request, { location: logout.returnTo, clientName: logout.clientName });
  }
  return data(
    { kind: "page" as const, signedIn: signedIn !== null, email: signedIn?.user.email ?? null, ...logout },
    { status: logout.problem ? 400 : 200 },
  );
}

/** Signs out of Latchkey (every app's grants from this session end with it), then back to the GET. */
export async function action({ request, context }: ActionFunctionArgs) {
  const token = await readSessionToken(request, context.config);
  if (token) await signOut(context, { token, client: context.client });
  const url = new URL(request.url);
  throw redirect(`/oauth/logout${url.search}`, {
    status: 303,
    headers: { "Set-Cookie": await serializeExpiredSessionCookie(context.config) },
  });
}

export default function Logout() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  const navigation = useNavigation();
  if (data.kind === "continue") return <ContinueToApp location={data.location} clientName={data.clientName} />;
  const app = data.clientName ?? "An app";
  if (!data.signedIn) {
    return (
      <CardPage title="You're signed out">
        {data.problem ? <p role="alert">{LOGOUT_PROBLEMS[data.problem]}</p> : <p>You're not signed in to Latchkey in this browser.</p>}
        <p>
          <Link className="button secondary" to="/login">
            Sign in again
          </Link>
        </p>
      </CardPage>
    );
  }
  return (
    <CardPage title="Sign out of Latchkey?">
      {data.problem ? (
        <p className="alert error" role="alert">
          {LOGOUT_PROBLEMS[data.problem]}
        </p>
      ) : null}
      <p>
        {data.clientName ? `${app} signed you out and asks` : "You were asked"} whether to sign out of Latchkey too (
        <strong>{data.email}</strong>). That also signs you out of every app you signed in to with it in this browser.
      </p>
      <Form method="post" action={`/oauth/logout${location.search}`} className="actions">
        <button type="submit" disabled={navigation.state !== "idle"}>
          Sign out
        </button>
        {data.returnTo ? (
          // A plain link: the app's address isn't a route here.
          <a className="button secondary" href={data.returnTo}>
            Stay signed in and go back
          </a>
        ) : (
          <Link className="button secondary" to="/dashboard">
            Stay signed in
          </Link>
        )}
      </Form>
    </CardPage>
  );
}
