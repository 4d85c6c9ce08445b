// The differential scenario: one user's whole life through the core endpoints, reduced to what
// must match between implementations (statuses, JSON shapes, codes, cookies, redirects).
import { Client, FRONTEND } from "./helpers.mjs";

const TOKEN = /^[A-Za-z0-9]{32}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Values that differ by nature (ids, tokens, dates) become placeholders; key order is kept. */
export function shape(value) {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  if (typeof value === "string" && TOKEN.test(value)) return "<token>";
  if (typeof value === "string" && ISO.test(value)) return "<date>";
  return value;
}

function cookieShape(cookies) {
  return Object.fromEntries(
    Object.entries(cookies)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, c]) => [name, { attributes: [...c.attributes].sort(), maxAge: c.maxAge, empty: c.value === "" }]),
  );
}

export function summarize(r) {
  const isHtml = (r.headers.get("content-type") ?? "").includes("text/html");
  return {
    status: r.status,
    body: isHtml ? "<html>" : r.data === undefined ? r.text : shape(r.data),
    cookies: cookieShape(r.cookies),
    location: r.headers.get("location")?.replace(/token=[A-Za-z0-9]{24}/, "token=<token>") ?? null,
    cacheControl: r.headers.get("cache-control"),
  };
}

export async function runScenario(url, tag, mails) {
  const own = (r) => ({ ...r, location: r.location?.replace(url, "<server>") ?? null });
  const email = `diff-${tag}@example.com`;
  const results = [];
  const step = async (name, fn) => results.push({ name, ...own(summarize(await fn())) });
  const a = new Client(url);
  const fresh = () => new Client(url);
  const form = (fields) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });

  await step("ok", () => a.request("/api/auth/ok"));
  await step("get-session signed out", () => a.request("/api/auth/get-session"));
  await step("sign-up", () => a.post("/api/auth/sign-up/email", { name: "Diff", email, password: "password123" }));
  await step("sign-up duplicate", () => fresh().post("/api/auth/sign-up/email", { name: "Diff", email: email.toUpperCase(), password: "password123" }));
  await step("sign-up empty body", () => fresh().post("/api/auth/sign-up/email", {}));
  await step("sign-up bad email, empty password", () => fresh().post("/api/auth/sign-up/email", { name: "x", email: "nope", password: "" }));
  await step("sign-up wrong types", () => fresh().post("/api/auth/sign-up/email", { name: 1, email: true, password: null, rememberMe: "yes" }));
  await step("sign-up short password", () => fresh().post("/api/auth/sign-up/email", { name: "x", email: `short-${email}`, password: "1234567" }));
  await step("sign-up long password", () => fresh().post("/api/auth/sign-up/email", { name: "x", email: `long-${email}`, password: "p".repeat(129) }));
  await step("sign-up text/plain", () => fresh().request("/api/auth/sign-up/email", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }));
  await step("sign-up malformed JSON", () => fresh().request("/api/auth/sign-up/email", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":' }));
  await step("sign-up form", () => fresh().request("/api/auth/sign-up/email", form({ name: "Form", email: `form-${email}`, password: "password123" })));
  await step("get-session signed in", () => a.request("/api/auth/get-session"));
  await step("api/me signed in", () => a.request("/api/me"));
  await step("sign-in", () => fresh().post("/api/auth/sign-in/email", { email, password: "password123" }));
  await step("sign-in form", () => fresh().request("/api/auth/sign-in/email", form({ email, password: "password123" })));
  await step("sign-in wrong password", () => fresh().post("/api/auth/sign-in/email", { email, password: "password124" }));
  await step("sign-in unknown email", () => fresh().post("/api/auth/sign-in/email", { email: `ghost-${email}`, password: "password123" }));
  await step("sign-in invalid email", () => fresh().post("/api/auth/sign-in/email", { email: "ghost", password: "password123" }));
  await step("sign-in missing password", () => fresh().post("/api/auth/sign-in/email", { email }));
  await step("sign-in too long password", () => fresh().post("/api/auth/sign-in/email", { email, password: "p".repeat(129) }));
  const b = fresh();
  await step("sign-in rememberMe false", () => b.post("/api/auth/sign-in/email", { email, password: "password123", rememberMe: false }));
  await step("get-session don't remember", () => b.request("/api/auth/get-session"));
  await step("sign-in trusted callbackURL", () => fresh().post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: `${FRONTEND}/after` }));
  await step("sign-in relative callbackURL", () => fresh().post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: "/after?x=1" }));
  await step("sign-in untrusted callbackURL", () => fresh().post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: "https://evil.example" }));
  await step("sign-in non-string callbackURL", () => fresh().post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: 5 }));
  await step("get-session tampered", () => fresh().request("/api/auth/get-session", { headers: { cookie: "better-auth.session_token=abc.def" } }));
  await step("get-session POST", () => a.request("/api/auth/get-session", { method: "POST" }));
  await step("get-session disableRefresh", () => a.request("/api/auth/get-session?disableRefresh=true"));
  await step("unknown endpoint", () => a.request("/api/auth/does-not-exist"));
  await step("GET on POST endpoint", () => a.request("/api/auth/sign-out"));
  await step("error page", () => a.request("/api/auth/error?error=SOMETHING"));
  await step("list-sessions signed out", () => fresh().request("/api/auth/list-sessions"));
  await step("list-sessions", () => a.request("/api/auth/list-sessions"));
  const other = fresh();
  await other.post("/api/auth/sign-in/email", { email, password: "password123" });
  const otherToken = (await other.request("/api/auth/get-session")).data.session.token;
  await step("revoke-session without token", () => a.post("/api/auth/revoke-session", {}));
  await step("revoke-session", () => a.post("/api/auth/revoke-session", { token: otherToken }));
  await step("revoked session reads null", () => other.request("/api/auth/get-session"));
  await step("revoke-other-sessions", () => a.post("/api/auth/revoke-other-sessions", {}));
  await step("revoke-sessions signed out", () => fresh().post("/api/auth/revoke-sessions", {}));
  await step("sign-out from evil origin", () => a.post("/api/auth/sign-out", {}, { headers: { origin: "https://evil.example" } }));
  const stale = a.cookieHeader();
  await step("sign-out", () => a.post("/api/auth/sign-out", {}));
  await step("get-session after sign-out", () => fresh().request("/api/auth/get-session", { headers: { cookie: stale } }));
  await step("api/me signed out", () => a.request("/api/me"));
  await step("sign-out without session", () => fresh().post("/api/auth/sign-out"));
  const c = fresh();
  await c.post("/api/auth/sign-in/email", { email, password: "password123" });
  await step("revoke-sessions", () => c.post("/api/auth/revoke-sessions", {}));
  await step("after revoke-sessions", () => c.request("/api/auth/get-session"));

  const u = fresh();
  await u.post("/api/auth/sign-in/email", { email, password: "password123" });
  await step("update-user", () => u.post("/api/auth/update-user", { name: "Renamed", image: "https://img.test/x.png" }));
  await step("update-user read back", () => u.request("/api/auth/get-session"));
  await step("update-user nothing", () => u.post("/api/auth/update-user", {}));
  await step("update-user email", () => u.post("/api/auth/update-user", { email: "other@example.com" }));
  await step("update-user not an object", () => u.post("/api/auth/update-user", ["x"]));
  await step("update-user signed out", () => fresh().post("/api/auth/update-user", { name: "x" }));
  await step("verify-password", () => u.post("/api/auth/verify-password", { password: "password123" }));
  await step("verify-password wrong", () => u.post("/api/auth/verify-password", { password: "password124" }));
  await step("verify-password missing", () => u.post("/api/auth/verify-password", {}));
  await step("list-accounts", () => u.request("/api/auth/list-accounts"));
  await step("update-session", () => u.post("/api/auth/update-session", { foo: "bar" }));
  await step("update-session signed out", () => fresh().post("/api/auth/update-session", {}));
  await step("delete-user disabled", () => u.post("/api/auth/delete-user", { password: "password123" }));
  await step("delete-user callback disabled", () => fresh().request("/api/auth/delete-user/callback?token=x"));
  await step("unlink last account", () => u.post("/api/auth/unlink-account", { accountId: "nope" }));
  await step("change-password wrong current", () => u.post("/api/auth/change-password", { currentPassword: "password124", newPassword: "password456" }));
  await step("change-password too short", () => u.post("/api/auth/change-password", { currentPassword: "password123", newPassword: "short" }));
  await step("change-password", () => u.post("/api/auth/change-password", { currentPassword: "password123", newPassword: "password456" }));
  await step("change-password revoking", () => u.post("/api/auth/change-password", { currentPassword: "password456", newPassword: "password789", revokeOtherSessions: true }));
  await step("old password refused", () => fresh().post("/api/auth/sign-in/email", { email, password: "password456" }));
  await step("new password accepted", () => fresh().post("/api/auth/sign-in/email", { email, password: "password789" }));

  await step("request reset", () => fresh().post("/api/auth/request-password-reset", { email, redirectTo: `${FRONTEND}/reset` }));
  await step("request reset unknown email", () => fresh().post("/api/auth/request-password-reset", { email: `ghost-${email}`, redirectTo: "/reset" }));
  await step("request reset untrusted redirect", () => fresh().post("/api/auth/request-password-reset", { email, redirectTo: "https://evil.example" }));
  await step("request reset invalid email", () => fresh().post("/api/auth/request-password-reset", { email: "nope" }));
  const token = mails.at(-1)?.token;
  await step("reset link", () => fresh().request(`/api/auth/reset-password/${token}?callbackURL=${encodeURIComponent(`${FRONTEND}/reset`)}`));
  await step("reset link bad token", () => fresh().request(`/api/auth/reset-password/bad?callbackURL=%2Freset`));
  await step("reset link without callbackURL", () => fresh().request(`/api/auth/reset-password/${token}`));
  await step("reset without token", () => fresh().post("/api/auth/reset-password", { newPassword: "password000" }));
  await step("reset short password", () => fresh().post("/api/auth/reset-password", { newPassword: "short", token }));
  await step("reset", () => fresh().post("/api/auth/reset-password", { newPassword: "password000", token }));
  await step("reset token reused", () => fresh().post("/api/auth/reset-password", { newPassword: "password111", token }));
  await step("reset password works", () => fresh().post("/api/auth/sign-in/email", { email, password: "password000" }));
  return results;
}

