import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireRecentAuthentication } from "~/auth/guards.server";
import { requireSignedIn } from "~/auth/session/signed-in.server";
import { getTwoFactorStatus, regenerateRecoveryCodes } from "~/auth/two-factor/enrollment.server";
import { RecoveryCodes } from "~/components/recovery-codes";

export const meta: MetaFunction = () => [{ title: "New recovery codes · Latchkey" }];

const HERE = "/account/recovery-codes";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireSignedIn(request, context);
  const status = await getTwoFactorStatus(context.db, user.id);
  // Without 2FA there is nothing to replace: no point confirming it's you first.
  if (!status.enabled) throw redirect("/account#two-factor", { status: 303 });
  await requireRecentAuthentication(request, context, HERE);
  return { left: status.recoveryCodesLeft };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireRecentAuthentication(request, context, HERE);
  const result = await regenerateRecoveryCodes(context, { userId: user.id, email: user.email, client: context.client });
  if (!result.ok) throw redirect("/account#two-factor", { status: 303 });
  return { recoveryCodes: result.recoveryCodes, appHost: new URL(context.config.appUrl).host };
}

export default function NewRecoveryCodes() {
  const { left } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const working = useNavigation().state !== "idle";
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        {actionData ? (
          <>
            <h1 id="title">Your new recovery codes</h1>
            <p className="lead">Your previous codes no longer work.</p>
            <RecoveryCodes codes={actionData.recoveryCodes} appHost={actionData.appHost} />
          </>
        ) : (
          <>
            <h1 id="title">Generate new recovery codes?</h1>
            <p className="lead">
              You get 10 new codes. Your {left} remaining {left === 1 ? "code stops" : "codes stop"} working straight away.
            </p>
            <Form method="post" className="actions">
              <button type="submit" disabled={working}>
                {working ? "Generating…" : "Generate new codes"}
              </button>
              <Link className="button secondary" to="/account">
                Cancel
              </Link>
            </Form>
          </>
        )}
      </section>
    </main>
  );
}
