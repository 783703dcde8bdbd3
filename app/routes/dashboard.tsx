import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useLoaderData, useNavigation } from "@remix-run/react";
import { requireSignedIn } from "~/auth/session/signed-in.server";
import { LocalTime } from "~/components/local-time";
import { CardPage } from "~/components/card-page";
import { pageTitle } from "~/lib/page-title";

export const meta: MetaFunction = ({ matches }) => [{ title: pageTitle(matches, "Dashboard") }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, session, github } = await requireSignedIn(request, context);
  return {
    idleDays: Math.round(context.config.sessionIdleMs / 86_400_000),
    email: user.email,
    memberSince: user.createdAt.toISOString(),
    github,
    session: {
      createdAt: session.createdAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      country: session.country,
    },
  };
}

export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  const signingOut = useNavigation().formAction === "/logout";
  return (
    <CardPage title="You're signed in">
      <p className="lead">
        Signed in as <strong data-testid="user-email">{data.email}</strong>
      </p>
      {data.github ? (
        <p className="linked-account">
          {data.github.avatarUrl ? (
            <img className="avatar" src={data.github.avatarUrl} alt={`GitHub avatar of @${data.github.login}`} width={40} height={40} />
          ) : null}
          <span>
            GitHub: <strong data-testid="github-login">@{data.github.login}</strong>
            {data.github.name ? <span className="muted"> ({data.github.name})</span> : null}
          </span>
        </p>
      ) : null}
      <h2>This session</h2>
      <dl className="details">
        <dt>Signed in</dt>
        <dd>
          <LocalTime at={data.session.createdAt} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <LocalTime at={data.session.expiresAt} /> at the latest, or after {data.idleDays} {data.idleDays === 1 ? "day" : "days"} without use
        </dd>
        {data.session.country ? (
          <>
            <dt>Country</dt>
            <dd>{data.session.country}</dd>
          </>
        ) : null}
        <dt>Account created</dt>
        <dd>
          <LocalTime at={data.memberSince} />
        </dd>
      </dl>
      <Form method="post" action="/logout" className="actions">
        <button type="submit" className="secondary" disabled={signingOut}>
          {signingOut ? "Signing out…" : "Sign out"}
        </button>
      </Form>
    </CardPage>
  );
}
