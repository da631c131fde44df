// A short drill in a real browser: `tangkal drill` replays the bundled outbreak at 1,440× (its 24 hours
// in a minute) into a drill server of its own; the desk says it is a drill on every page, cases open by
// themselves as the hoax waves arrive, the team takes one from the queue to an approved verdict and
// closes it within its clock, and the score printed at the end counts exactly that.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startDrill, ROOT } from "../lib/tangkal.js";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SHOTS = join(ROOT, "target", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"];

let drill;
let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  drill = await startDrill(1440);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});

after(async () => {
  await browser?.close();
  await drill?.stop();
});

async function signedIn(role) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: drill.base });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(String(e)));
  const login = drill.logins[role];
  assert.ok(login, `the drill printed a sign-in for ${role}:\n${drill.output()}`);
  await page.goto("/login");
  await page.getByLabel(/Nama pengguna|Username/).fill(login.username);
  await page.getByLabel(/Kata sandi|Password/).fill(login.password);
  await page.getByRole("button", { name: /^(Masuk|Sign in)$/ }).click();
  await page.waitForLoadState("load");
  return page;
}

test("a team works a drill and the score counts what it did", async () => {
  const analyst = await signedIn("analyst");
  assert.match(await analyst.locator(".drill-banner").innerText(), /Latihan simulasi · waktu berjalan ×1\.?440/);
  // The hoax waves open cases as they arrive: the queue fills without anyone opening them.
  const firstCase = analyst.locator("table.queue a[href^='/desk/cases/']").first();
  for (let i = 0; (await firstCase.count()) === 0; i++) {
    assert.ok(i < 60, "a case opened within the drill's first hours");
    await analyst.waitForTimeout(500);
    await analyst.reload();
  }
  await analyst.evaluate(AXE + "\n;0");
  const axe = await analyst.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  assert.deepEqual(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id), []);
  await analyst.screenshot({ path: join(SHOTS, "drill-queue-desktop.png"), fullPage: true });
  // The public pages of a drill say so too: nobody takes a drill's clarification for a real one.
  await analyst.goto("/cek-fakta");
  assert.match(await analyst.locator(".drill-banner").innerText(), /Latihan simulasi/);
  await analyst.goto("/desk");
  const href = await firstCase.getAttribute("href");
  await analyst.goto(href);
  await analyst.getByRole("button", { name: "Mulai triase" }).click();
  await analyst.getByRole("button", { name: "Mulai investigasi" }).click();
  await analyst.locator("p.notice").waitFor();
  await analyst.getByLabel("Penilaian").selectOption("HOAKS");
  await analyst.getByLabel("Jenis misinformasi").selectOption("fabricated");
  await analyst.getByLabel("Penjelasan untuk publik").fill("Latihan: klaim ini sudah dibantah.");
  await analyst.getByRole("button", { name: "Ajukan untuk ditinjau" }).click();
  await analyst.locator("p.notice").waitFor();
  assert.deepEqual(analyst.problems, []);
  await analyst.context().close();

  const reviewer = await signedIn("reviewer");
  await reviewer.goto(href);
  await reviewer.getByRole("button", { name: "Setujui" }).click();
  await reviewer.locator("p.notice").waitFor();
  await reviewer.context().close();

  const communicator = await signedIn("communicator");
  await communicator.goto(href);
  await communicator.getByRole("button", { name: "Mulai respons publik" }).click();
  await communicator.locator("p.notice").waitFor();
  await communicator.getByRole("button", { name: "Selesaikan kasus" }).click();
  await communicator.locator("p.notice").waitFor();
  await communicator.context().close();

  // The drill ends by itself at the end of its 24 hours and prints the score.
  const out = await drill.finished();
  console.log(out.slice(out.indexOf("Drill score")));
  assert.match(out, /cases handled within their clock +1 of \d+/);
  assert.match(out, /verdicts against the truth +1 of 1 right \(100%\); 1 approved in all/);
  assert.match(out, /citizen reports +20 received/);
  const drills = join(drill.dataDir, "drills");
  const [only] = readdirSync(drills);
  assert.ok(existsSync(join(drills, only, "score.json")), "the score is kept with the drill's data");
  assert.ok(!existsSync(join(drill.dataDir, "tangkal.sqlite3")), "nothing of the drill lands in the real store");
});
