import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams, type ShouldRevalidateFunction } from "@remix-run/react";
import { takePasskeyNotice } from "~/auth/passkeys/cookies.server";
import { AccountPasskeys } from "~/components/account-passkeys";
import { loadAccountOverview, revokeOtherSessions, revokeSession, unlinkIdentity } from "~/auth/account/overview.server";
import { hasRecentAuthentication, requireRecentAuthentication } from "~/auth/guards.server";
import { requireSignedIn } from "~/auth/session/signed-in.server";
import { beginTotpEnrollment, disableTwoFactor } from "~/auth/two-factor/enrollment.server";
import { ACCOUNT, STEP_UP } from "~/auth/messages";
import { readForm } from "~/lib/form.server";
import { formatDate } from "~/lib/dates";
import { LinkedIdentities } from "~/components/linked-identities";
import { revokeAppAccess } from "~/provider/consents.server";
import { ConnectedApps } from "~/components/connected-apps";

export const meta: MetaFunction = () => [{ title: "Account & security · Latchkey" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, session } = await requireSignedIn(request, context);
  // Everything the page lists comes from one D1 batch (one round trip).
  const [{ twoFactor, sessions, identities, passkeys, activity, apps }, passkeyNotice] = await Promise.all([
    loadAccountOverview(context, { userId: user.id, currentSessionId: session.id }),
    takePasskeyNotice(request, context.config),
  ]);
  const headers = passkeyNotice.clear ? { "Set-Cookie": passkeyNotice.clear } : undefined;
  return data({
    email: user.email,
    memberSince: user.createdAt.toISOString(),
    identities: identities.map((i) => ({ ...i, linkedAt: i.linkedAt.toISOString() })),
    twoFactor: { enabled: twoFactor.enabled, enabledAt: twoFactor.enabledAt?.toISOString() ?? null, recoveryCodesLeft: twoFactor.recoveryCodesLeft },
    recentlyAuthenticated: hasRecentAuthentication({ session }, context),
    sessions: sessions.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), lastSeenAt: s.lastSeenAt.toISOString() })),
    activity: activity.map((a) => ({ ...a, at: a.at.toISOString() })),
    passkeys: passkeys.map((p) => ({
      id: p.id,
      name: p.name,
      synced: p.backupEligible,
      createdAt: p.createdAt.toISOString(),
      lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
    })),
    passkeyNotice: passkeyNotice.notice,
    apps: apps.map((a) => ({ clientId: a.clientId, name: a.name, scope: a.scope, lastUsedAt: a.lastUsedAt?.toISOString() ?? null })),
  }, { headers });
}

type ActionData = { notice: string } | { error: string };

/**
 * Reload the page after every answer, as before single fetch: here a 404 or 409 means the page showed
 * something that had already changed elsewhere (a session that had ended, 2FA already off), and single
 * fetch would otherwise keep showing it after a 4xx.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionStatus, defaultShouldRevalidate }) =>
  (actionStatus !== undefined && actionStatus >= 400) || defaultShouldRevalidate;

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireSignedIn(request, context);
  const form = await readForm(request);
  const client = context.client;
  switch (form.get("intent")) {
    case "revoke-session": {
      const sessionId = form.get("sessionId");
      if (typeof sessionId !== "string" || sessionId === session.id) {
        return data<ActionData>({ error: ACCOUNT.chooseOtherSession }, { status: 400 });
      }
      const { ok } = await revokeSession(context, { userId: user.id, sessionId, client });
      return ok
        ? ({ notice: ACCOUNT.sessionSignedOut } satisfies ActionData)
        : data<ActionData>({ error: ACCOUNT.sessionAlreadyEnded }, { status: 404 });
    }
    case "revoke-others": {
      const { revoked } = await revokeOtherSessions(context, { userId: user.id, currentSessionId: session.id, client });
      return { notice: ACCOUNT.otherSessionsSignedOut(revoked) } satisfies ActionData;
    }
    case "unlink-github":
    case "unlink-identity": {
      const unlinked = await unlinkIdentity(context, { userId: user.id, identityId: form.get("identityId"), client: context.client });
      if (!unlinked.ok) return data<ActionData>({ error: ACCOUNT.notLinked }, { status: 404 });
      return { notice: ACCOUNT.unlinked(unlinked.provider === "google" ? "Google" : "GitHub") } satisfies ActionData;
    }
    case "revoke-app": {
      const clientId = form.get("clientId");
      const { ok } = typeof clientId === "string" ? await revokeAppAccess(context, { userId: user.id, clientId, client }) : { ok: false };
      return ok
        ? ({ notice: ACCOUNT.appRevoked } satisfies ActionData)
        : data<ActionData>({ error: ACCOUNT.noAppAccess }, { status: 404 });
    }
    case "setup-2fa": {
      // Also behind step-up: a stolen session that turned 2FA on would lock the owner out of their account.
      await requireRecentAuthentication(request, context, "/account#two-factor", "setup-2fa");
      const { ok } = await beginTotpEnrollment(context, { userId: user.id });
      if (!ok) return data<ActionData>({ error: ACCOUNT.twoFactorAlreadyOn }, { status: 409 });
      throw redirect("/account/2fa", { status: 303 });
    }
    case "disable-2fa": {
      await requireRecentAuthentication(request, context, "/account#two-factor", "disable-2fa");
      const { ok } = await disableTwoFactor(context, { userId: user.id, email: user.email, client });
      return ok
        ? ({ notice: ACCOUNT.twoFactorOff } satisfies ActionData)
        : data<ActionData>({ error: ACCOUNT.twoFactorAlreadyOff }, { status: 409 });
    }
    default:
      return data<ActionData>({ error: ACCOUNT.unknownAction }, { status: 400 });
  }
}

export default function Account() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle" && navigation.formAction?.startsWith("/account");
  const others = data.sessions.filter((s) => !s.current);
  // `done` only words what the page shows anyway: a link that claims 2FA went off while it's on says nothing.
  const turnedOff = params.get("done") === "two-factor-off" && !data.twoFactor.enabled;
  const flash = turnedOff ? ACCOUNT.twoFactorOff : params.get("confirmed") === "1" ? STEP_UP.confirmed : null;

  return (
    <main id="main" className="page wide">
      <h1 className="page-title">Account &amp; security</h1>
      {actionData && "notice" in actionData ? (
        <div className="alert success" role="status">
          {actionData.notice}
        </div>
      ) : null}
      {actionData && "error" in actionData ? (
        <div className="alert error" role="alert">
          {actionData.error}
        </div>
      ) : null}
      {flash && !actionData ? (
        <div className="alert success" role="status">
          {flash}
        </div>
      ) : null}

      <section className="card stack" aria-labelledby="profile">
        <h2 id="profile">Profile</h2>
        <dl className="details">
          <dt>Email</dt>
          <dd data-testid="account-email">{data.email}</dd>
          <dt>Linked accounts</dt>
          <dd>
            <LinkedIdentities identities={data.identities} busy={Boolean(busy)} />
          </dd>
          <dt>Member since</dt>
          <dd>{formatDate(data.memberSince)}</dd>
        </dl>
      </section>

      <section className="card stack" aria-labelledby="two-factor-title" id="two-factor">
        <h2 id="two-factor-title">Two-factor authentication</h2>
        {data.twoFactor.enabled ? (
          <>
            <p>
              <span className="badge on">On</span> since {formatDate(data.twoFactor.enabledAt!)}. Signing in asks for a code
              from your authenticator app.
            </p>
            <p className="muted">
              {data.twoFactor.recoveryCodesLeft} unused recovery {data.twoFactor.recoveryCodesLeft === 1 ? "code" : "codes"} left.
              {data.twoFactor.recoveryCodesLeft <= 3 ? " Generate new ones before you run out." : ""}
            </p>
            <div className="actions">
              <Link className="button secondary" to="/account/recovery-codes">
                Generate new recovery codes
              </Link>
              <Form method="post">
                <button type="submit" name="intent" value="disable-2fa" className="danger-outline" disabled={busy}>
                  Turn off two-factor authentication
                </button>
              </Form>
            </div>
            {!data.recentlyAuthenticated ? <StepUpHint /> : null}
          </>
        ) : (
          <>
            <p>
              <span className="badge off">Off</span> Add a code from an authenticator app (1Password, Google Authenticator,
              Authy…) to every sign-in, so a stolen email link alone can't get anyone in.
            </p>
            <Form method="post" className="actions">
              <button type="submit" name="intent" value="setup-2fa" disabled={busy}>
                Set up authenticator app
              </button>
            </Form>
            {!data.recentlyAuthenticated ? <StepUpHint /> : null}
          </>
        )}
      </section>

      <AccountPasskeys passkeys={data.passkeys} notice={data.passkeyNotice} recentlyAuthenticated={data.recentlyAuthenticated} />

      <section className="card stack" aria-labelledby="sessions">
        <h2 id="sessions">Where you're signed in</h2>
        <ul className="session-list">
          {data.sessions.map((s) => (
            <li key={s.id} className="session" data-testid="session">
              <div>
                <p className="session-title">
                  {s.browser}
                  {s.current ? <span className="badge on">This device</span> : null}
                </p>
                <p className="muted small">
                  {[s.location, s.ip].filter(Boolean).join(" · ") || "Location unknown"}
                  <br />
                  Signed in {s.signedIn ? `${s.signedIn} ` : ""}on {formatDate(s.createdAt)} · last active {formatDate(s.lastSeenAt)}
                </p>
              </div>
              {s.current ? null : (
                <Form method="post">
                  <input type="hidden" name="sessionId" value={s.id} />
                  <button
                    type="submit"
                    name="intent"
                    value="revoke-session"
                    className="secondary"
                    disabled={busy}
                    aria-label={`Sign out ${s.browser}, last active ${formatDate(s.lastSeenAt)}`}
                  >
                    Sign out
                  </button>
                </Form>
              )}
            </li>
          ))}
        </ul>
        {others.length > 0 ? (
          <Form method="post" className="actions">
            <button type="submit" name="intent" value="revoke-others" className="secondary" disabled={busy}>
              Sign out everywhere else
            </button>
          </Form>
        ) : (
          <p className="muted small">You're not signed in anywhere else.</p>
        )}
      </section>

      <ConnectedApps apps={data.apps} busy={busy ?? false} />

      <section className="card stack" aria-labelledby="activity">
        <h2 id="activity">Recent activity</h2>
        {data.activity.length === 0 ? (
          <p className="muted">Nothing yet.</p>
        ) : (
          <ol className="activity-list">
            {data.activity.map((a) => (
              <li key={a.id}>
                <span>{a.description}</span>
                <time dateTime={a.at} className="muted small">
                  {formatDate(a.at)}
                </time>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="card stack danger-zone" aria-labelledby="delete">
        <h2 id="delete">Delete account</h2>
        <p>Deletes your account, sessions, linked GitHub and Google accounts and two-factor settings. This can't be undone.</p>
        <p>
          <Link className="button danger-outline" to="/account/delete">
            Delete my account…
          </Link>
        </p>
      </section>
    </main>
  );
}

function StepUpHint() {
  return (
    <p className="muted small">{STEP_UP.willEmailCode}</p>
  );
}
