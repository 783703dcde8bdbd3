import { redirect, type ActionFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link } from "@remix-run/react";
import { serializeExpiredSentCookie } from "~/auth/email/sent-cookie.server";
import { readSessionToken, serializeExpiredSessionCookie } from "~/auth/session/cookies.server";
import { signOut } from "~/auth/session/signed-in.server";
import { CardPage } from "~/components/card-page";
import { pageTitle } from "~/lib/page-title";

export const meta: MetaFunction = ({ matches }) => [{ title: pageTitle(matches, "Sign out") }];

/** Sign-out ends the session on the server (SES-3): a copied cookie stops working too. */
export async function action({ request, context }: ActionFunctionArgs) {
  const token = await readSessionToken(request, context.config);
  if (token) await signOut(context, { token, client: context.client });
  // The sign-in page says so ("You're signed out on this device").
  // A "check your email" page left from signing in goes too: nothing of this visit stays behind.
  const headers = new Headers();
  headers.append("Set-Cookie", await serializeExpiredSessionCookie(context.config));
  headers.append("Set-Cookie", await serializeExpiredSentCookie(context.config));
  return redirect("/login?signedOut=1", { status: 303, headers });
}

// A GET never signs out (a link or an <img> could trigger it); it offers the button instead.
export default function Logout() {
  return (
    <CardPage title="Sign out?">
      <p>This ends your session on this device.</p>
      <Form method="post" className="actions">
        <button type="submit">Sign out</button>
        <Link className="button secondary" to="/dashboard">
          Cancel
        </Link>
      </Form>
    </CardPage>
  );
}
