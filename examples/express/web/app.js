// The example's front end: the official client, cross-origin with credentials.
import { createAuthClient } from "/vendor/better-auth-client.js";
import { API_URL } from "/config.js";

const client = createAuthClient({ baseURL: API_URL });
const $ = (id) => document.getElementById(id);
const status = (text) => ($("status").textContent = text ?? "");

async function render() {
  let data = null;
  try {
    const result = await client.getSession();
    data = result.data;
    if (result.error) status(result.error.message ?? "Could not load the session");
  } catch (e) {
    status(`Could not reach the API: ${e.message}`);
  }
  const signedIn = Boolean(data?.user);
  $("signed-out").hidden = signedIn;
  $("signed-in").hidden = !signedIn;
  document.body.dataset.state = signedIn ? "signed-in" : "signed-out";
  if (!signedIn) return;
  $("user-email").textContent = data.user.email;
  $("user-name").textContent = data.user.name;
  const sessions = await client.listSessions();
  const list = $("sessions");
  list.replaceChildren();
  for (const session of sessions.data ?? []) {
    const item = document.createElement("li");
    const current = session.token === data.session.token;
    item.className = current ? "current" : "";
    item.textContent = `${session.userAgent || "unknown device"} · since ${new Date(session.createdAt).toLocaleString()}${current ? " (this one)" : ""} `;
    if (!current) {
      const revoke = document.createElement("button");
      revoke.textContent = "Revoke";
      revoke.onclick = async () => {
        await client.revokeSession({ token: session.token });
        await render();
      };
      item.append(revoke);
    }
    list.append(item);
  }
}

$("auth-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  status("");
  const form = new FormData(event.target);
  const action = event.submitter?.dataset.action ?? "sign-in";
  const credentials = { email: form.get("email"), password: form.get("password") };
  try {
    const { error } =
      action === "sign-up"
        ? await client.signUp.email({ ...credentials, name: form.get("name") })
        : await client.signIn.email(credentials);
    if (error) return status(error.message ?? `${action} failed (${error.status})`);
    await render();
  } catch (e) {
    status(`${action} failed: ${e.message}`);
  }
});

$("sign-out").addEventListener("click", async () => {
  await client.signOut();
  await render();
});

render().catch((e) => status(e.message));
