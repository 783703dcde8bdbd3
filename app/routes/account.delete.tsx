import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { deleteAccount } from "~/auth/account/deletion.server";
import { requireRecentAuthentication } from "~/auth/guards.server";
import { ACCOUNT } from "~/auth/messages";
import { serializeExpiredSessionCookie } from "~/auth/session/cookies.server";
import { Field } from "~/components/field";
import { readForm } from "~/lib/form.server";
import { CardPage } from "~/components/card-page";

export const meta: MetaFunction = () => [{ title: "Delete account · Latchkey" }];

const HERE = "/account/delete";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireRecentAuthentication(request, context, HERE);
  return { email: user.email };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireRecentAuthentication(request, context, HERE);
  const form = await readForm(request);
  const typed = form.get("email");
  const result = await deleteAccount(context, { userId: user.id, email: user.email, typedEmail: typed, client: context.client });
  if (!result.ok) {
    return data(
      { error: ACCOUNT.deleteWrongEmail, typed: typeof typed === "string" ? typed.slice(0, 300) : "" },
      { status: 400 },
    );
  }
  throw redirect("/goodbye", { status: 303, headers: { "Set-Cookie": await serializeExpiredSessionCookie(context.config) } });
}

export default function DeleteAccount() {
  const { email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const deleting = useNavigation().state !== "idle";
  return (
    <CardPage title="Delete your account">
      <p className="lead">
        This deletes <strong>{email}</strong>, signs you out everywhere, and removes your linked GitHub account and
        two-factor settings. It can't be undone.
      </p>
      <Form method="post" noValidate>
        <Field
          label={`Type ${email} to confirm`}
          name="email"
          type="email"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          required
          defaultValue={actionData?.typed}
          error={actionData?.error}
        />
        <div className="actions">
          <button type="submit" className="danger" disabled={deleting}>
            {deleting ? "Deleting…" : "Delete my account"}
          </button>
          <Link className="button secondary" to="/account">
            Cancel
          </Link>
        </div>
      </Form>
    </CardPage>
  );
}
