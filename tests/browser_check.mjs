// Load pages of the built book in headless Chromium and report what a reader would see.
//
// Driven by tests/test_browser.py:  node tests/browser_check.mjs SPEC.json
// SPEC: {"base": "http://127.0.0.1:PORT/", "pages": ["chapters/x.html", ...],
//        "screenshots": {"chapters/x.html": "/abs/path.png"}, "executablePath": "/usr/bin/chromium",
//        "out": "/abs/result.json"}
// For every page it writes: the number of maths elements and of rendered MathJax containers in
// them, MathJax errors (merror nodes, undefined macros shown in red), mermaid diagrams and how
// many became an SVG (and whether mermaid drew its error diagram), broken images, console
// errors, uncaught exceptions, failed local requests, and every request that left 127.0.0.1
// (blocked: the book must render offline).
import { readFileSync, writeFileSync } from "node:fs";
import puppeteer from "puppeteer";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const base = new URL(spec.base);
const TIMEOUT = spec.timeoutMs ?? 30000;

const browser = await puppeteer.launch({
  executablePath: spec.executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});

async function checkPage(path) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const result = {
    page: path,
    consoleErrors: [],
    pageErrors: [],
    failedRequests: [],
    externalRequests: [],
  };
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (["data:", "blob:", "about:"].includes(url.protocol) || url.host === base.host) {
      req.continue();
    } else {
      result.externalRequests.push(req.url());
      req.abort("blockedbyclient");
    }
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      const loc = msg.location();
      // The blocked external requests are reported on their own; /favicon.ico is the
      // browser's own request, not the page's.
      if (loc && loc.url && (new URL(loc.url).host !== base.host || loc.url.endsWith("/favicon.ico"))) return;
      result.consoleErrors.push(msg.text() + (loc && loc.url ? ` (${loc.url})` : ""));
    }
  });
  page.on("pageerror", (err) => result.pageErrors.push(String(err)));
  page.on("response", (resp) => {
    const url = new URL(resp.url());
    if (url.host === base.host && resp.status() >= 400 && url.pathname !== "/favicon.ico") {
      result.failedRequests.push(`${resp.status()} ${resp.url()}`);
    }
  });
  page.on("requestfailed", (req) => {
    const url = new URL(req.url());
    if (url.host === base.host) {
      result.failedRequests.push(`${req.failure()?.errorText} ${req.url()}`);
    }
  });

  try {
    await page.goto(new URL(path, base).href, { waitUntil: "load", timeout: TIMEOUT });
    // MathJax: wait for its startup typesetting (the script is deferred).
    await page.waitForFunction(
      () => !document.querySelector("script[src*='tex-mml-chtml']") ||
        Boolean(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise),
      { timeout: TIMEOUT },
    );
    await page.evaluate(() => window.MathJax?.startup?.promise);
    // mermaid: visible diagrams are rendered at load (and again when the theme settles its
    // colour mode); hidden ones, e.g. in a closed dropdown, are deferred until shown. Wait until
    // every diagram is processed or deferred and the state holds for half a second.
    const mermaidSettled = () => [...document.querySelectorAll("pre.mermaid")].every(
      (el) => (el.getAttribute("data-processed") === "true" && el.querySelector("svg")) ||
        el.hasAttribute("data-mermaid-deferred") ||
        el.hasAttribute("data-mermaid-render-failed"),
    );
    for (let stable = 0, waited = 0; stable < 5 && waited < TIMEOUT; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stable = (await page.evaluate(mermaidSettled)) ? stable + 1 : 0;
    }
    // Images: make lazy ones load, then wait for every one to finish (or fail).
    await page.evaluate(async () => {
      const imgs = [...document.images];
      imgs.forEach((img) => { img.loading = "eager"; });
      await Promise.all(imgs.map((img) => img.complete ? null : new Promise((resolve) => {
        img.addEventListener("load", resolve, { once: true });
        img.addEventListener("error", resolve, { once: true });
        setTimeout(resolve, 10000);
      })));
    });
    Object.assign(result, await page.evaluate(() => {
      const maths = [...document.querySelectorAll(".math")];
      const red = (el) => getComputedStyle(el).color === "rgb(255, 0, 0)";
      const mermaids = [...document.querySelectorAll("pre.mermaid")];
      return {
        title: document.title,
        finalUrl: location.href,
        mathElements: maths.length,
        mathRendered: maths.filter((el) => el.querySelector("mjx-container")).length,
        mathContainers: document.querySelectorAll("mjx-container").length,
        mathUnrendered: maths
          .filter((el) => !el.querySelector("mjx-container"))
          .map((el) => el.textContent.trim().slice(0, 120)),
        mathErrors: [...document.querySelectorAll("mjx-merror")]
          .map((el) => (el.getAttribute("data-mjx-error") || el.textContent).slice(0, 160)),
        mathUndefined: [...document.querySelectorAll("mjx-container mjx-mtext")]
          .filter(red)
          .map((el) => el.closest("mjx-container")?.querySelector("mjx-assistive-mml")?.textContent
            .trim().slice(0, 80) ?? ""),
        mermaidElements: mermaids.length,
        mermaidSvgs: mermaids.filter((el) => el.querySelector("svg")).length,
        mermaidDeferred: mermaids.filter((el) => el.hasAttribute("data-mermaid-deferred")).length,
        mermaidErrors: mermaids
          .filter((el) => el.hasAttribute("data-mermaid-render-failed") ||
            el.querySelector("svg[aria-roledescription='error'], .error-icon"))
          .map((el) => (el.getAttribute("data-original-code") || "").trim().slice(0, 120)),
        images: document.images.length,
        brokenImages: [...document.images]
          .filter((img) => !img.complete || img.naturalWidth === 0)
          .map((img) => img.getAttribute("src")),
      };
    }));
    const shot = spec.screenshots?.[path];
    if (shot) {
      await page.screenshot({ path: shot, fullPage: false });
      // The first diagram and the first displayed equation, close up.
      for (const [selector, suffix] of [["pre.mermaid", "-diagram"], ["div.math", "-equation"]]) {
        const el = await page.$(selector);
        if (el) await el.screenshot({ path: shot.replace(/\.png$/, `${suffix}.png`) });
      }
    }
  } catch (err) {
    result.pageErrors.push(`checker: ${err}`);
  } finally {
    await page.close();
  }
  return result;
}

const results = [];
for (const path of spec.pages) {
  results.push(await checkPage(path));
}
await browser.close();
writeFileSync(spec.out, JSON.stringify(results, null, 2));
