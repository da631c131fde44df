// The desk in a real browser (Debian's chromium, driven by playwright-core): every role signs in, a
// hoax goes from the queue to an approved verdict, a takedown request with the platform's answer and a
// published clarification; a citizen repeating that claim through /lapor gets it as the answer at once,
// and other reports are linked to a case or dismissed from the reports queue; an administrator creates
// a user and an API token; the language switches and is remembered; axe-core finds no serious or
// critical violation on any page (queue, case, narrative, dashboard, reports, administration, sign-in,
// and the public list with filters, an article, the transparency log and the report form);
// no page breaks its content security policy; screenshots of the main pages, desktop and 390 px phone,
// go to target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startTangkal, USERS, PASSWORD, ROOT } from "../lib/tangkal.js";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SHOTS = join(ROOT, "target", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let tangkal;
let browser;
const checked = [];
/** The clarification the hoax test publishes, and its case: the reports test answers and links with them. */
let clarification;
const CLAIM = "Beli beras di pasar kini wajib pakai surat izin khusus dari kementerian";

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  tangkal = await startTangkal();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});

after(async () => {
  await browser?.close();
  await tangkal?.stop();
});

/** Collects what a reader would miss: a blocked script or style, a script error, a missing resource.
 * (A page itself may answer 4xx: a refused form comes back as its page with an error summary.) */
function watch(page) {
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) page.problems.push(m.text());
  });
  page.on("pageerror", (e) => page.problems.push(String(e)));
  page.on("response", (r) => {
    if (r.request().resourceType() !== "document" && r.status() >= 400) page.problems.push(`${r.status()} ${r.url()}`);
  });
}

/** A signed-in page for `who`, in a fresh context (own cookies), watching for policy violations. */
async function signedIn(who, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, baseURL: tangkal.base });
  const page = await context.newPage();
  watch(page);
  await page.goto("/login");
  await page.getByLabel(/Nama pengguna|Username/).fill(USERS[who].username);
  await page.getByLabel(/Kata sandi|Password/).fill(PASSWORD);
  await page.getByRole("button", { name: /^(Masuk|Sign in)$/ }).click();
  await page.waitForLoadState("load");
  return page;
}

/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(page, name) {
  // Evaluated over the debugging protocol, which the page's policy does not govern.
  await page.evaluate(AXE + "\n;0");
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(described, [], `axe on ${name}`);
  checked.push(name);
}

async function shoot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

function noPolicyProblems(page) {
  assert.deepEqual(page.problems, [], "console errors (a blocked script or style shows here)");
}

test("each role signs in and lands where it may work", async () => {
  for (const who of ["admin", "analyst", "reviewer", "communicator", "liaison"]) {
    const page = await signedIn(who);
    assert.equal(new URL(page.url()).pathname, "/desk", who);
    await assert.doesNotReject(page.getByRole("heading", { level: 1, name: "Antrian" }).waitFor());
    noPolicyProblems(page);
    await page.context().close();
  }
  for (const who of ["partner", "monitor"]) {
    const page = await signedIn(who);
    assert.equal(new URL(page.url()).pathname, "/cek-fakta", `${who} has no desk`);
    const desk = await page.goto("/desk");
    assert.equal(desk.status(), 403);
    await page.context().close();
  }
  const anonymous = await browser.newPage({ baseURL: tangkal.base });
  await anonymous.goto("/desk/cases/1");
  assert.equal(new URL(anonymous.url()).pathname, "/login", "signing in comes first");
  await accessible(anonymous, "login");
  await shoot(anonymous, "login-desktop");
  await anonymous.setViewportSize(PHONE);
  await shoot(anonymous, "login-phone");
  await anonymous.close();
});

test("a hoax goes from the queue to an approved verdict, a takedown and a published clarification", async () => {
  // The liaison sees only TikTok's cases: take the first, so every role can reach it.
  const liaison = await signedIn("liaison");
  const first = liaison.locator("table.queue a[href^='/desk/cases/']").first();
  const href = await first.getAttribute("href");
  assert.match(href, /^\/desk\/cases\/\d+$/);
  await liaison.context().close();

  const analyst = await signedIn("analyst");
  await accessible(analyst, "queue");
  await shoot(analyst, "queue-desktop");
  await analyst.locator(`table.queue a[href='${href}']`).click();
  await analyst.waitForURL(`**${href}`);
  await analyst.getByRole("button", { name: "Mulai triase" }).click();
  await analyst.getByRole("button", { name: "Mulai investigasi" }).click();
  await analyst.locator("p.notice").waitFor();
  // Evidence: a link (the form also sends its empty file field, as browsers do).
  await analyst.getByLabel("Alamat tautan").fill("https://www.kominfo.go.id/berita/hoaks");
  await analyst.getByRole("button", { name: "Simpan bukti" }).click();
  await analyst.locator("p.notice").waitFor();
  assert.match(await analyst.locator("ul.evidence").innerText(), /kominfo\.go\.id/);
  await analyst.getByLabel("Tugaskan kepada").selectOption({ label: "analis (analis)" });
  await analyst.getByRole("button", { name: "Tugaskan", exact: true }).click();
  await analyst.locator("p.notice").waitFor();
  // A refused form comes back with the error summary and what was typed kept.
  await analyst.getByLabel("Penilaian").selectOption("HOAKS");
  await analyst.getByLabel("Penjelasan untuk publik").fill("Tidak ada kebijakan seperti itu.");
  await analyst.getByRole("button", { name: "Ajukan untuk ditinjau" }).click();
  await analyst.locator(".error-summary").waitFor();
  assert.match(await analyst.locator(".error-summary").innerText(), /misinfo_type/);
  assert.equal(await analyst.getByLabel("Penjelasan untuk publik").inputValue(), "Tidak ada kebijakan seperti itu.");
  await accessible(analyst, "case-with-error");
  await analyst.getByLabel("Jenis misinformasi").selectOption("fabricated");
  await analyst.getByRole("button", { name: "Ajukan untuk ditinjau" }).click();
  await analyst.locator("p.notice").waitFor();
  assert.match(await analyst.locator("h1 + p.tags").innerText(), /Putusan diajukan/);
  noPolicyProblems(analyst);
  await analyst.context().close();

  const reviewer = await signedIn("reviewer");
  await reviewer.goto(href);
  await reviewer.getByLabel("Catatan peninjau").fill("Sumber resmi sudah dicek.");
  await reviewer.getByRole("button", { name: "Setujui" }).click();
  await reviewer.locator("p.notice").waitFor();
  assert.match(await reviewer.locator("h1 + p.tags").innerText(), /Putusan disetujui/);
  assert.match(await reviewer.locator("#audit-heading + ol").innerText(), /menyetujui putusan/, "the audit trail shows it");
  await reviewer.context().close();

  const communicator = await signedIn("communicator");
  await communicator.goto(href);
  await communicator.getByText("Minta penurunan konten").click();
  await communicator.getByLabel("Platform", { exact: true }).selectOption("tiktok");
  await communicator.getByLabel("Alamat konten").fill("https://www.tiktok.com/@penyebar/video/7301");
  await communicator.getByRole("button", { name: "Kirim permintaan" }).click();
  await communicator.locator("p.notice").waitFor();
  assert.match(await communicator.locator("#takedown-heading ~ article").first().innerText(), /Menunggu/);
  // The clarification: preview first (the public page as it would be), then save and publish.
  await communicator.getByLabel("Judul").fill("Surat <script>alert(1)</script> palsu");
  await communicator.getByLabel("Klaim", { exact: true }).fill(CLAIM);
  await communicator.getByLabel("Isi").fill("Klaim ini **tidak benar**.\n\n- Sumber: kementerian");
  await communicator.getByLabel("Topik").selectOption("ekonomi");
  await communicator.getByRole("button", { name: "Pratinjau" }).click();
  await communicator.locator(".public-preview").waitFor();
  assert.equal(await communicator.locator(".public-preview strong").first().innerText(), "Klaim:");
  assert.match(await communicator.locator(".public-preview h4").innerText(), /^\[HOAKS\] Surat <script>alert\(1\)<\/script> palsu$/);
  await accessible(communicator, "case-preview");
  await communicator.getByRole("button", { name: "Simpan draf" }).click();
  await communicator.locator("p.notice").waitFor();
  await communicator.getByRole("button", { name: "Terbitkan" }).click();
  await communicator.locator("p.notice").waitFor();
  const published = communicator.getByRole("link", { name: "Halaman publik" });
  const publicHref = await published.getAttribute("href");
  assert.match(publicHref, /^\/cek-fakta\//);
  noPolicyProblems(communicator);
  await shoot(communicator, "case-desktop");
  await communicator.setViewportSize(PHONE);
  await shoot(communicator, "case-phone");
  await accessible(communicator, "case-phone");
  const article = await communicator.request.get(publicHref);
  assert.equal(article.status(), 200);
  clarification = { href: publicHref, caseHref: href };
  await communicator.context().close();

  const liaisonAgain = await signedIn("liaison");
  await liaisonAgain.goto(href);
  await liaisonAgain.getByLabel("Jawaban platform").selectOption("removed");
  await liaisonAgain.getByRole("button", { name: "Simpan" }).click();
  await liaisonAgain.locator("p.notice").waitFor();
  assert.match(await liaisonAgain.locator("#takedown-heading ~ article").first().innerText(), /Diturunkan/);
  await liaisonAgain.context().close();
});

test("a narrative shows its spread, accounts and matches, readable on a phone", async () => {
  const analyst = await signedIn("analyst");
  await analyst.goto("/desk");
  const narrative = analyst.locator("a[href^='/desk/narratives/']").first();
  await narrative.click();
  await analyst.waitForURL("**/desk/narratives/*");
  await analyst.locator("figure.chart").waitFor();
  assert.ok((await analyst.locator("figure.chart rect").count()) > 0, "the spread chart has bars");
  await analyst.getByText("Tampilkan tabel data").click();
  assert.ok((await analyst.locator("figure.chart tbody tr").count()) > 0, "and a table of the same numbers");
  await accessible(analyst, "narrative");
  await shoot(analyst, "narrative-desktop");
  await analyst.setViewportSize(PHONE);
  await accessible(analyst, "narrative-phone");
  await shoot(analyst, "narrative-phone");
  await analyst.goto("/desk");
  await accessible(analyst, "queue-phone");
  await shoot(analyst, "queue-phone");
  noPolicyProblems(analyst);
  await analyst.context().close();
});

test("the dashboard shows the figures, its charts with tables, and links each CSV", async () => {
  const reviewer = await signedIn("reviewer");
  await reviewer.getByRole("link", { name: "Dasbor" }).click();
  await reviewer.getByRole("heading", { level: 1, name: "Dasbor" }).waitFor();
  assert.equal(await reviewer.locator("figure.chart").count(), 2);
  const csv = await reviewer.locator("a[href^='/desk/dashboard.csv']").first().getAttribute("href");
  const download = await reviewer.request.get(csv);
  assert.equal(download.status(), 200);
  assert.match(download.headers()["content-type"], /^text\/csv/);
  await accessible(reviewer, "dashboard");
  await shoot(reviewer, "dashboard-desktop");
  await reviewer.setViewportSize(PHONE);
  await accessible(reviewer, "dashboard-phone");
  await shoot(reviewer, "dashboard-phone");
  noPolicyProblems(reviewer);
  await reviewer.context().close();
});

test("the public site: the list filtered, the article label first, transparency charts and the report form", async () => {
  assert.ok(clarification, "the hoax test published a clarification first");
  const page = await browser.newPage({ baseURL: tangkal.base, viewport: DESKTOP });
  watch(page);
  await page.goto("/");
  await page.getByRole("heading", { level: 1, name: "Cek fakta" }).waitFor();
  // Filters through the form: the topic the communicator chose, and the rating.
  await page.getByLabel("Topik").selectOption("ekonomi");
  await page.getByLabel("Penilaian").selectOption("HOAKS");
  await page.getByRole("button", { name: "Terapkan" }).click();
  await page.waitForURL(/topic=ekonomi/);
  assert.match(page.url(), /rating=HOAKS/);
  const results = page.locator("ol.results > li");
  assert.equal(await results.count(), 1, "only the clarification on that topic");
  const first = results.first();
  assert.equal(await first.locator(`a[href='${clarification.href}']`).count(), 1);
  assert.equal((await first.locator(".tag").innerText()).trim(), "HOAKS", "the label comes first");
  assert.equal(await page.getByLabel("Topik").inputValue(), "ekonomi", "the form keeps the filter");
  await reviewed(page, "public-list-filtered");
  // Another topic has none of it; a filter that cannot be read is named, and the list still answers.
  await page.goto("/cek-fakta?topic=kesehatan&rating=HOAKS");
  assert.equal(await page.locator("ol.results > li").count(), 0);
  await page.goto("/cek-fakta?from=2026-02-31");
  await page.locator(".error-summary").waitFor();
  assert.match(await page.locator(".error-summary").innerText(), /2026-02-31/);
  await reviewed(page, "public-list");

  await page.goto(clarification.href);
  const label = page.locator("p.label .tag");
  assert.equal((await label.innerText()).trim(), "HOAKS");
  const [labelTop, titleTop] = await Promise.all(
    [label, page.getByRole("heading", { level: 1 })].map(async (l) => (await l.boundingBox()).y),
  );
  assert.ok(labelTop < titleTop, "the label is above the title");
  assert.match(await page.locator(".verdict-box").innerText(), /Beli beras/);
  assert.equal(await page.locator("script[type='application/ld+json']").count(), 1);
  await reviewed(page, "public-article");

  await page.goto("/transparansi");
  await page.getByRole("heading", { level: 1 }).waitFor();
  assert.equal(await page.locator("figure.chart").count(), 2, "requests, and URLs complied with, per platform");
  await reviewed(page, "public-transparency");

  await page.goto("/lapor");
  await reviewed(page, "public-lapor");

  // English, remembered across the public pages.
  await page.getByRole("link", { name: "English" }).click();
  await page.getByRole("heading", { level: 1, name: "Report a doubtful claim" }).waitFor();
  await page.getByRole("link", { name: "Fact-checks", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Fact-checks" }).waitFor();
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await reviewed(page, "public-list-english");
  await page.getByRole("link", { name: "Bahasa Indonesia" }).click();
  await page.getByRole("heading", { level: 1, name: "Cek fakta" }).waitFor();
  noPolicyProblems(page);
  await page.close();
});

/** Sends a report through the public form, as a citizen without an account would. */
async function fileReport(text) {
  const page = await browser.newPage({ baseURL: tangkal.base });
  await page.goto("/lapor");
  await page.getByLabel("Isi pesan").fill(text);
  await page.getByLabel("Dilihat di").selectOption("whatsapp");
  await page.getByRole("button", { name: "Kirim laporan" }).click();
  await page.getByRole("heading", { level: 1 }).waitFor();
  return page;
}

/** axe-core and screenshots of the page, at desktop size and 390 px wide. */
async function reviewed(page, name) {
  await accessible(page, name);
  await shoot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await accessible(page, `${name}-phone`);
  await shoot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

test("citizen reports: an instant answer, then the desk links one report to a case and dismisses another", async () => {
  assert.ok(clarification, "the hoax test published a clarification first");
  const answered = await fileReport(CLAIM);
  assert.equal(await answered.getByRole("heading", { level: 1 }).innerText(), "Kabar ini sudah diperiksa");
  assert.equal(await answered.locator(`a[href$='${clarification.href}']`).count(), 1, "the published clarification answers it");
  await answered.close();
  const unmatched = "Jembatan kaca di Planet Zorgon runtuh kemarin sore, sebarkan ke semua grup";
  const spam = "Promo pulsa murah zzqx klik sekarang juga";
  for (const text of [unmatched, spam]) {
    const page = await fileReport(text);
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Terima kasih, laporan Anda diterima");
    await page.close();
  }

  const analyst = await signedIn("analyst");
  await analyst.getByRole("link", { name: "Laporan", exact: true }).click();
  await analyst.getByRole("heading", { level: 1, name: "Laporan warga" }).waitFor();
  const answeredRow = analyst.locator("table.reports tbody tr", { hasText: CLAIM.slice(0, 40) }).first();
  assert.match(await answeredRow.innerText(), /Dijawab/, "the instant answer is on its row");
  assert.equal(await answeredRow.locator(`a[href$='${clarification.href}']`).count(), 1, "linking the public page");
  await reviewed(analyst, "reports");

  await analyst.locator("table.reports tbody tr", { hasText: unmatched }).getByRole("link", { name: /^ADU\// }).click();
  await analyst.getByRole("heading", { level: 1, name: /^Laporan ADU\// }).waitFor();
  await reviewed(analyst, "report");
  const caseNumber = clarification.caseHref.split("/").pop();
  await analyst.getByLabel("Atau nomor kasus").fill(caseNumber);
  await analyst.getByRole("button", { name: "Tautkan" }).click();
  await analyst.locator("p.notice").waitFor();
  assert.match(await analyst.locator("h1 + p.tags").innerText(), /Tertaut/);
  assert.equal(await analyst.locator(`dd a[href='${clarification.caseHref}']`).count(), 1);

  await analyst.goto("/desk/laporan?linked=no&answered=no");
  await analyst.locator("table.reports tbody tr", { hasText: spam }).getByRole("link", { name: /^ADU\// }).click();
  await analyst.getByText("Kesampingkan laporan").click();
  await analyst.getByLabel("Alasan dikesampingkan").fill("Promosi, bukan klaim faktual.");
  await analyst.getByRole("button", { name: "Kesampingkan", exact: true }).click();
  await analyst.locator("p.notice").waitFor();
  assert.match(await analyst.locator("h1 + p.tags").innerText(), /Dikesampingkan/);
  assert.match(await analyst.locator(".side-column").innerText(), /sudah dikesampingkan/);
  noPolicyProblems(analyst);
  await analyst.context().close();
});

test("an administrator creates a user and an API token whose secret is shown once", async () => {
  const admin = await signedIn("admin");
  await admin.getByRole("link", { name: "Admin", exact: true }).click();
  await admin.getByRole("heading", { level: 1, name: "Administrasi" }).waitFor();
  await reviewed(admin, "admin");
  await admin.getByText("Tambah pengguna").click();
  await admin.getByLabel("Nama pengguna").fill("humas-daerah");
  await admin.getByLabel("Nama tampilan").fill("Humas Daerah");
  await admin.getByLabel("Peran", { exact: true }).selectOption("communicator");
  await admin.getByLabel("Organisasi").fill("Diskominfo Provinsi");
  await admin.getByLabel("Kata sandi awal").fill("kata sandi awal yang panjang");
  await admin.getByRole("button", { name: "Buat pengguna" }).click();
  await admin.locator("p.notice").waitFor();
  assert.match(await admin.locator("#users-heading ~ table").innerText(), /humas-daerah[\s\S]*Diskominfo Provinsi/);

  await admin.getByText("Buat token API").click();
  await admin.getByLabel("Nama token").fill("ekspor mitra");
  await admin.getByLabel("Pemilik").selectOption({ label: "Humas Daerah (humas-daerah)" });
  await admin.getByLabel("Bertindak sebagai peran").selectOption("partner");
  await admin.getByRole("button", { name: "Buat token", exact: true }).click();
  await admin.getByRole("heading", { level: 1, name: "Token API dibuat" }).waitFor();
  const secret = await admin.getByLabel("Rahasia").inputValue();
  const me = await fetch(`${tangkal.base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(me.status, 200, "the secret works");
  await reviewed(admin, "admin-token");
  await admin.getByRole("link", { name: "Kembali ke administrasi" }).click();
  await admin.getByRole("heading", { level: 1, name: "Administrasi" }).waitFor();
  assert.ok(!(await admin.content()).includes(secret), "shown only once");

  await admin.getByRole("link", { name: "Kelola webhook" }).click();
  await admin.getByRole("heading", { level: 1, name: "Webhook" }).waitFor();
  await reviewed(admin, "admin-webhooks");
  noPolicyProblems(admin);
  await admin.context().close();
});

test("the language switches to English, is remembered, and switches back", async () => {
  const reviewer = await signedIn("reviewer");
  await reviewer.getByRole("link", { name: "English" }).click();
  await reviewer.getByRole("heading", { level: 1, name: "Queue" }).waitFor();
  assert.equal(await reviewer.locator("html").getAttribute("lang"), "en");
  await reviewer.locator("table.queue a[href^='/desk/cases/']").first().click();
  await reviewer.getByRole("heading", { name: "Actions" }).waitFor();
  await accessible(reviewer, "case-english");
  await shoot(reviewer, "case-english-desktop");
  await reviewer.goto("/desk");
  await reviewer.getByRole("heading", { level: 1, name: "Queue" }).waitFor();
  await reviewer.getByRole("link", { name: "Bahasa Indonesia" }).click();
  await reviewer.getByRole("heading", { level: 1, name: "Antrian" }).waitFor();
  assert.equal(await reviewer.locator("html").getAttribute("lang"), "id");
  await reviewer.context().close();
  assert.ok(checked.length >= 8, `axe ran on ${checked.join(", ")}`);
});
