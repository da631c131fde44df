// Starts a real `tangkal serve` on a free loopback port over a fresh data directory, seeded through the
// command line the way an operator would: the bundled sample fact-checks, then the sample posts (which
// places them in narratives, matches them and opens cases), then one user per role (admin included, so
// the server makes no first-start account).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const PASSWORD = "kata sandi uji yang panjang";

/** `TANGKAL_BIN`, else the newer of the release and debug builds. */
export function binary() {
  if (process.env.TANGKAL_BIN) return process.env.TANGKAL_BIN;
  const builds = ["release", "debug"].map((p) => join(ROOT, "target", p, "tangkal")).filter(existsSync);
  if (builds.length === 0) throw new Error("no tangkal binary: run `cargo build -p tangkal` first");
  return builds.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** The users the tests sign in as: one per role (the liaison bound to TikTok). */
export const USERS = {
  admin: { username: "admin", role: "admin" },
  analyst: { username: "analis", role: "analyst" },
  reviewer: { username: "peninjau", role: "reviewer" },
  communicator: { username: "humas", role: "communicator" },
  liaison: { username: "tiktok", role: "platform_liaison", platform: "tiktok" },
  partner: { username: "mitra", role: "partner" },
  monitor: { username: "pantau", role: "monitor" },
};

export async function startTangkal() {
  const bin = binary();
  const dataDir = mkdtempSync(join(tmpdir(), "tangkal-e2e-"));
  const cli = (args, input) =>
    execFileSync(bin, ["--data-dir", dataDir, ...args], { input, encoding: "utf8", env: { ...process.env, RUST_LOG: "warn" } });
  cli(["factchecks", "import", join(ROOT, "data/sample/factchecks.jsonl")]);
  cli(["ingest", join(ROOT, "data/sample/items.jsonl")]);
  for (const user of Object.values(USERS)) {
    const args = ["user", "add", user.username, "--role", user.role, "--password-stdin"];
    if (user.platform) args.push("--platform", user.platform);
    cli(args, PASSWORD + "\n");
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ["--data-dir", dataDir, "serve", "--bind", `127.0.0.1:${port}`], {
    env: { ...process.env, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  server.stdout.on("data", (d) => (out += d));
  server.stderr.on("data", (d) => (out += d));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || i > 150) throw new Error(`tangkal serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    log: () => out,
    async stop() {
      server.kill("SIGTERM");
      await new Promise((r) => (server.exitCode !== null ? r() : server.on("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts `tangkal drill` at `speed` on a free loopback port over a fresh data directory, and reads the
 * sign-ins it prints (one per desk role). `finished()` waits for the drill to end by itself and returns
 * everything it printed, the score last. */
export async function startDrill(speed) {
  const bin = binary();
  const dataDir = mkdtempSync(join(tmpdir(), "tangkal-drill-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const drill = spawn(bin, ["--data-dir", dataDir, "drill", "--speed", String(speed), "--bind", `127.0.0.1:${port}`], {
    env: { ...process.env, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  drill.stdout.on("data", (d) => (out += d));
  drill.stderr.on("data", (d) => (out += d));
  const exited = new Promise((r) => drill.on("exit", r));
  for (let i = 0; !/Drill time {2}event/.test(out); i++) {
    if (drill.exitCode !== null || i > 300) throw new Error(`tangkal drill did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const logins = {};
  for (const [, role, username, password] of out.matchAll(/^ {3}(\w+) +(latihan-\w+) +(\S+)$/gm)) {
    logins[role] = { username, password };
  }
  return {
    base,
    dataDir,
    logins,
    output: () => out,
    async finished() {
      await exited;
      return out;
    },
    async stop() {
      if (drill.exitCode === null) drill.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
