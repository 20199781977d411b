"""`make fidelity`: the official podio-js 1.6.1, installed from npm into a temporary folder,
run against the emulator: sign-in, an item read, a create, a filter, and the error paths.
A client built against real Podio that works against the emulator is evidence that the
emulator answers as Podio does. Not part of `make test`; without node or npm it says what to
install and exits non-zero.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from podio_component.emulator import Emulator

PODIO_JS = "podio-js@1.6.1"
SCRIPT = r"""'use strict';
const Podio = require('podio-js').api;
const [api, clientId, clientSecret, mail, password] = process.argv.slice(2);
const podio = new Podio({authType: 'password', clientId, clientSecret}, {apiURL: api});
podio.silent = true; // reject, rather than throw inside the HTTP callback (its own bug)
const report = (check, ok, detail) => console.log(JSON.stringify({check, ok: !!ok, detail}));
// On an error status podio-js 1.6.1 hands superagent's error where it expects the response
// (its own bug), so the status comes through and Podio's body may not.
const failure = (promise) => promise.then(() => ({status: 200}), (e) => ({
  status: e.status, text: (e.body && e.body.error_description) || e.description || ''}));

async function main() {
  // podio-js builds its token address as https on port 443 (its own bug): its own token
  // request is pointed at the emulator instead.
  const data = await new Promise((resolve) => podio._authRequest(
    api + '/oauth/token',
    {grant_type: 'password', username: mail, password, client_id: clientId,
     client_secret: clientSecret},
    (err, answer) => resolve(err ? {error: String(err)} : answer)));
  report('sign-in (password grant)', data.access_token, data.error || data.token_type);
  podio._onAccessTokenAcquired(data);

  const item = await podio.request('GET', '/item/5001');
  report('item read', item.item_id === 5001 && item.app && Array.isArray(item.fields), item.title);
  const made = await podio.request(
    'POST', '/item/app/40/', {fields: {title: 'podio-js', count: 7}});
  report('item create', Number.isInteger(made.item_id), made.title);
  const found = await podio.request(
    'POST', '/item/app/40/filter/', {filters: {count: {from: 7, to: 7}}, limit: 10});
  report('filter (short items)',
    found.items.some((i) => i.item_id === made.item_id) &&
    found.items.every((i) => !('app' in i) && 'file_count' in i), `${found.filtered} found`);

  const missing = await failure(podio.request('GET', '/item/99999999'));
  report('404 not found', missing.status === 404, missing.text);
  const unknown = await failure(podio.request('POST', '/item/app/40/', {fields: {nowhere: 1}}));
  report('400 unknown field', unknown.status === 400, unknown.text);
  const list = await failure(podio.request('POST', '/item/app/40/', {fields: ['Test']}));
  report('400 fields as a list', list.status === 400, list.text);
  const flag = await failure(podio.request('DELETE', `/item/${made.item_id}?silent=1?`));
  report('400 bad boolean', flag.status === 400, flag.text);
  // A 401 is left out: podio-js answers it by refreshing through https on port 443 (its own
  // bug), so it cannot reach the emulator.
}

main().catch((e) => { report('script', false, String(e && (e.stack || e))); });
"""


def install(directory: Path) -> None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"make fidelity needs {tool}, which is not installed here "
                "(Debian: apt-get install nodejs npm)"
            )
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", PODIO_JS],
        cwd=directory,
        check=True,
    )
    (directory / "check.js").write_text(SCRIPT)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder, Emulator() as emulator:
        directory = Path(folder)
        install(directory)
        args = [
            emulator.podio_url,
            emulator.client_id,
            emulator.platform.client_secret,
            "ada@example.com",
            "analytical-engine",
        ]
        done = subprocess.run(
            ["node", "check.js", *args],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    checks = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    print(f"{PODIO_JS} against the emulator")
    for check in checks:
        mark = "pass" if check["ok"] else "FAIL"
        print(f"  {mark}  {check['check']}: {check.get('detail')}")
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)
    passed = bool(checks) and all(check["ok"] for check in checks)
    return 0 if passed and len(checks) == 8 else 1


if __name__ == "__main__":
    sys.exit(main())
