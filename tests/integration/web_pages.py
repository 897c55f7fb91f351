"""Headless Chromium on the web page of `inmost web`, for tests/integration/test_web.py
and tests/bench/web_bench.py: one `inmost web` per daemon (WebServer) and one browser
logged in to it (Browser), with waits that have deadlines and the page's test ids.
Run with /usr/bin/python3: Debian's python3-selenium is not in a pyenv python."""

import os
import re
import select
import signal
import subprocess
import time

import harness

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Every wait on the page has a deadline; a sanitized daemon is several times slower.
WAIT = 20.0 if harness.SANITIZER else 12.0


def missing_prerequisites():
    missing = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium (run this with /usr/bin/python3)")
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            missing.append(package)
    return missing


if not missing_prerequisites():
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait


class WebServer:
    """`inmost web --listen 127.0.0.1:0` for one daemon; url is the login URL it prints."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.log_path = os.path.join(daemon.tmp, "web.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [harness.INMOST, "--data-dir", daemon.data_dir, "web", "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.monotonic() + WAIT
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.close()
                raise AssertionError(f"inmost web printed no URL (exit {self.proc.returncode}): "
                                     f"{self.log_text()}")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                # The raw descriptor: a buffered read would take more than the line from
                # the pipe, and select() would not see what it kept.
                byte = os.read(self.proc.stdout.fileno(), 1)
                if not byte:
                    continue
                line += byte
        self.url = line.decode().strip()
        assert re.match(r"^http://127\.0\.0\.1:\d+/\?token=\S+$", self.url), self.url
        self.origin = self.url.split("/?")[0]

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.proc.stdout.close()


class Browser:
    """Headless Chromium with its own profile, logged in to one `inmost web`."""

    def __init__(self, name, server, tmp, extra_args=()):
        """`extra_args` go to Chromium too (test_web_onion.py: --proxy-server)."""
        self.name = name
        self.server = server
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", f"--user-data-dir={os.path.join(tmp, name)}",
                    "--no-first-run", "--lang=en-GB",
                    # A voice note records from a fake microphone, allowed without asking.
                    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                    *extra_args):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(CHROMEDRIVER, log_path=os.path.join(tmp, f"{name}-chromedriver.log"))
        self.driver = webdriver.Chrome(service=self.service, options=options)
        self.driver.set_window_size(1280, 900)
        # What the page downloads lands here, without asking.
        self.downloads = os.path.join(tmp, f"{name}-downloads")
        os.makedirs(self.downloads, exist_ok=True)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": self.downloads})
        self.driver.get(server.url)
        self.wait(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"),
                  "the page to connect to the daemon")

    def close(self):
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001 - cleanup goes on whatever happened
            pass
        proc = getattr(self.service, "process", None)
        if proc is not None and proc.poll() is None:
            proc.kill()

    def wait(self, predicate, what, timeout=WAIT):
        def check(driver):
            try:
                return predicate(driver)
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            check, message=f"{self.name}: {what}")

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def q(self, testid, root=None):
        return (root or self.driver).find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def click(self, testid, root=None):
        element = self.q(testid, root)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def messages(self):
        """Every message in the conversation: id, kind, direction, text, and more."""
        return self.js("""
            return [...document.querySelectorAll('[data-testid=conversation] > li')].map(li => {
              const t = li.querySelector('[data-testid=message-text]');
              const env = li.querySelector('[data-testid=envelope]');
              const q = li.querySelector('[data-testid=question]');
              const note = li.querySelector('[data-testid=envelope-note]');
              return {id: li.dataset.id, kind: li.dataset.kind, direction: li.dataset.direction,
                      text: t ? t.textContent : '', env_state: env ? env.dataset.envState : '',
                      note: note ? note.textContent : '', q_state: q ? q.dataset.state : '',
                      hidden: li.hidden};
            });""")

    def find(self, predicate):
        found = [m for m in self.messages() if predicate(m)]
        return found[0] if len(found) == 1 else None

    def wait_message(self, predicate, what, timeout=WAIT):
        return self.wait(lambda d: self.find(predicate), what, timeout)

    def element_of(self, message_id):
        return self.driver.find_element(
            By.CSS_SELECTOR, f'[data-testid=conversation] > li[data-id="{message_id}"]')

    def fill_in(self, message_id, testid, text):
        """Types text into an input of a message's card (which events may draw again)."""
        def attempt(driver):
            box = self.q(testid, self.element_of(message_id))
            box.clear()
            box.send_keys(text)
            return box.get_attribute("value") == text
        self.wait(attempt, f"{text!r} typed into {testid} of #{message_id}")

    def click_in(self, message_id, testid):
        def attempt(driver):
            self.click(testid, self.element_of(message_id))
            return True
        self.wait(attempt, f"a click on {testid} of #{message_id}")

    def type_and_send(self, text):
        box = self.q("composer-text")
        box.clear()
        box.send_keys(text)
        self.click("send-button")
        self.wait(lambda d: self.q("composer-text").get_attribute("value") == "",
                  f"the composer to clear after sending {text!r}")

    def choose_mode(self, mode):
        if not self.q("composer-options").is_displayed():
            self.click("options-toggle")
        Select(self.q("composer-mode")).select_by_value(mode)

    def screenshot(self, name):
        directory = os.path.join(harness.BIN_DIR, "web-screenshots")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name)
        self.driver.save_screenshot(path)
        return path

    def console_errors(self):
        try:
            return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]
        except WebDriverException:
            return []
