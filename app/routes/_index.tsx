import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "~/root";
import { prepareOneTap } from "~/auth/google/one-tap.server";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { GoogleOneTap } from "~/components/google-one-tap";
import { DEFAULT_REDIRECT } from "~/lib/safe-redirect";

export const meta: MetaFunction = () => [{ title: "Latchkey · passwordless sign-in you own" }];

/** Google One Tap for signed-out visitors, when Google sign-in is on. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const signedIn = (await getSignedIn(request, context)) !== null;
  const { oneTap, headers } = await prepareOneTap(context, { request, signedIn });
  return data({ oneTap }, { headers });
}

export default function Index() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const { oneTap } = useLoaderData<typeof loader>();
  return (
    <main id="main" className="page wide">
      <section className="hero">
        <h1>Sign-in without passwords, on your own Worker.</h1>
        <p className="lead">
          Latchkey sends a one-time link to your inbox. Click it, confirm, and you're in — no password to
          remember, leak or reset.
        </p>
        {root?.email ? (
          <Link className="button" to="/dashboard">
            Go to your dashboard
          </Link>
        ) : (
          <Link className="button" to="/login">
            Sign in with email
          </Link>
        )}
      </section>
      <GoogleOneTap settings={oneTap} redirectTo={DEFAULT_REDIRECT} />
      <section className="features" aria-label="How Latchkey keeps you safe">
        <div className="card">
          <h2>One-time links</h2>
          <p>Each link works once and expires after ten minutes. We only ever store a hash of it.</p>
        </div>
        <div className="card">
          <h2>You confirm every sign-in</h2>
          <p>Opening a link never signs you in by itself, so email scanners can't use it up or misuse it.</p>
        </div>
        <div className="card">
          <h2>Sessions you control</h2>
          <p>Signing out ends the session on the server, not just in your browser.</p>
        </div>
      </section>
    </main>
  );
}
