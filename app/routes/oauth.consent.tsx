import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { answerConsent, loadConsentRequest } from "~/provider/consents.server";
import { SCOPE_WORDS } from "~/provider/claims";
import { CONSENT_EXPIRED } from "~/auth/messages";
import { requireSignedIn } from "~/auth/session/signed-in.server";
import { readForm } from "~/lib/form.server";
import { CardPage } from "~/components/card-page";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.ok ? `Allow ${data.clientName}? · Latchkey` : "Sign in to an app · Latchkey" },
];

export const headers: HeadersFunction = () => ({ "Referrer-Policy": "no-referrer" });

const EXPIRED = { ok: false as const, message: CONSENT_EXPIRED };

/** GET /oauth/consent?resume=…: what a third-party app asks for, for the signed-in person to allow or not. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireSignedIn(request, context);
  const resumeId = new URL(request.url).searchParams.get("resume");
  const view = await loadConsentRequest(context, { resumeId, userId: user.id });
  if (!view.ok) return data(EXPIRED, { status: 400 });
  return { ...view, resumeId: resumeId!, email: user.email };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireSignedIn(request, context);
  const form = await readForm(request);
  const result = await answerConsent(context, {
    resumeId: form.get("resume"),
    userId: user.id,
    allow: form.get("decision") === "allow",
    client: context.client,
  });
  if (!result.ok) return data(EXPIRED, { status: 400 });
  // Back to /oauth/authorize, which sends the app its code (or access_denied).
  throw redirect(result.next, { status: 303 });
}

export default function Consent() {
  // The action answers only when the request can no longer be answered; that answer wins, since single
  // fetch doesn't reload this page's loader after a 4xx (with JavaScript; without it the loader runs).
  const answered = useActionData<typeof action>();
  const loaded = useLoaderData<typeof loader>();
  const data = answered ?? loaded;
  const navigation = useNavigation();
  if (!data.ok) {
    return (
      <CardPage title="This sign-in took too long">
        <p role="alert">{data.message}</p>
      </CardPage>
    );
  }
  const busy = navigation.state !== "idle";
  return (
    <CardPage title={`Allow ${data.clientName} to use your account?`}>
      <p className="lead">
        You're signed in as <strong>{data.email}</strong>. {data.clientName} is asking to:
      </p>
      <ul data-testid="consent-scopes">
        {data.scopes.map((scope) => (
          <li key={scope}>
            {SCOPE_WORDS[scope]}
            {data.newScopes.includes(scope) && data.newScopes.length < data.scopes.length ? <span className="badge on">New</span> : null}
          </li>
        ))}
      </ul>
      <p className="muted small">You can revoke its access at any time on your account page.</p>
      <Form method="post" className="actions">
        <input type="hidden" name="resume" value={data.resumeId} />
        <button type="submit" name="decision" value="allow" disabled={busy}>
          Allow
        </button>
        <button type="submit" name="decision" value="deny" className="secondary" disabled={busy}>
          Cancel
        </button>
      </Form>
    </CardPage>
  );
}
