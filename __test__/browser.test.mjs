// The example app in real Chromium (Debian's, driven by playwright-core) across two origins:
// the page on one port, the API on another, as in the guide. Screenshots go to
// __test__/artifacts/. `.ci/run` installs Chromium; elsewhere the suite is skipped without it.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDbFile, uniqueEmail } from "./helpers.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const EXAMPLE = join(ROOT, "examples", "express");
const ARTIFACTS = join(ROOT, "__test__", "artifacts");
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
const skip = CHROMIUM || process.env.CI ? false : "Chromium is not installed (apt-get install chromium; .ci/run does)";

function startExample(file, env) {
  const child = spawn(process.execPath, [file], { cwd: EXAMPLE, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolvePort, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/localhost:(\d+)/);
      if (m) resolvePort({ child, port: Number(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`${file} exited ${code}: ${out}`)));
  });
}

describe("example app in Chromium", { skip }, () => {
  let api;
  let web;
  let evilWeb;
  let browser;
  before(async () => {
    assert.ok(CHROMIUM, "Chromium must be installed in CI");
    mkdirSync(ARTIFACTS, { recursive: true });
    // The page's origin is only known once it listens, so the web servers start first.
    web = await startExample("web.js", { WEB_PORT: "0", API_URL: "http://localhost:0" });
    web.child.kill();
    api = await startExample("server.js", {
      PORT: "0",
      DATABASE_URL: `sqlite:${tempDbFile()}`,
      FRONTEND_ORIGIN: `http://localhost:${web.port}`,
      BETTER_AUTH_SECRET: "browser-test-secret-0123456789abcdef",
    });
    const apiUrl = `http://localhost:${api.port}`;
    web = await startExample("web.js", { WEB_PORT: String(web.port), API_URL: apiUrl });
    evilWeb = await startExample("web.js", { WEB_PORT: "0", API_URL: apiUrl });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await browser?.close();
    for (const p of [api, web, evilWeb]) p?.child.kill();
  });

  it("signs up, keeps the session across a reload, lists it, signs out", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://localhost:${web.port}/`);
    await page.waitForSelector("body[data-state=signed-out]");
    const email = uniqueEmail("browser");
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", "correct-horse-battery");
    await page.click("#sign-up");
    await page.waitForSelector("body[data-state=signed-in]");
    assert.equal(await page.textContent("#user-email"), email);
    await page.screenshot({ path: join(ARTIFACTS, "01-signed-up.png") });

    const cookies = await context.cookies(`http://localhost:${api.port}`);
    const token = cookies.find((c) => c.name === "better-auth.session_token");
    assert.ok(token, "the browser stored the session cookie");
    assert.equal(token.httpOnly, true);
    assert.equal(token.sameSite, "Lax");

    await page.reload();
    await page.waitForSelector("body[data-state=signed-in]");
    assert.equal(await page.textContent("#user-email"), email);
    await page.waitForSelector("#sessions li");
    assert.equal(await page.locator("#sessions li").count(), 1);
    await page.screenshot({ path: join(ARTIFACTS, "02-after-reload.png") });

    // A second device signs in; the first lists it and revokes it.
    const laptop = await browser.newContext();
    const other = await laptop.newPage();
    await other.goto(`http://localhost:${web.port}/`);
    await other.waitForSelector("body[data-state=signed-out]");
    await other.fill("input[name=email]", email);
    await other.fill("input[name=password]", "correct-horse-battery");
    await other.click("#sign-in");
    await other.waitForSelector("body[data-state=signed-in]");
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("#sessions li").length === 2);
    await page.screenshot({ path: join(ARTIFACTS, "02b-two-sessions.png") });
    await page.click("#sessions li:not(.current) button");
    await page.waitForFunction(() => document.querySelectorAll("#sessions li").length === 1);
    await other.reload();
    await other.waitForSelector("body[data-state=signed-out]");
    await laptop.close();

    await page.click("#sign-out");
    await page.waitForSelector("body[data-state=signed-out]");
    const after = await context.cookies(`http://localhost:${api.port}`);
    assert.equal(after.find((c) => c.name === "better-auth.session_token"), undefined, "sign-out cleared the cookie");
    await page.screenshot({ path: join(ARTIFACTS, "03-signed-out.png") });

    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", "correct-horse-battery");
    await page.click("#sign-in");
    await page.waitForSelector("body[data-state=signed-in]");
    await context.close();
  });

  it("refuses a sign-in from an origin that is not trusted", async () => {
    const email = uniqueEmail("evil");
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://localhost:${evilWeb.port}/`);
    await page.waitForSelector("body[data-state=signed-out]");
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", "correct-horse-battery");
    await page.click("#sign-up");
    await page.waitForFunction(() => document.getElementById("status").textContent.length > 0);
    await page.screenshot({ path: join(ARTIFACTS, "04-untrusted-origin.png") });
    assert.equal(await page.getAttribute("body", "data-state"), "signed-out");
    const cookies = await context.cookies(`http://localhost:${api.port}`);
    assert.equal(cookies.find((c) => c.name === "better-auth.session_token"), undefined);
    // The server itself refused it (not only the browser's CORS check): the email is still free.
    const res = await fetch(`http://127.0.0.1:${api.port}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: `http://localhost:${web.port}` },
      body: JSON.stringify({ email, password: "correct-horse-battery" }),
    });
    assert.equal(res.status, 401, "no account was created from the untrusted origin");
    await context.close();
  });
});
