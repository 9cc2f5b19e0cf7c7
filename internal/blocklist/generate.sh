#!/bin/sh
# generate.sh rebuilds passwords.txt from the password lists of zxcvbn
# (Dropbox) and its TypeScript port zxcvbn-ts, both MIT-licensed and fetched
# from the npm registry at pinned versions so the output is reproducible.
# It needs npm and node. Run it from anywhere: sh internal/blocklist/generate.sh
set -eu

cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(
	cd "$tmp"
	npm pack --silent zxcvbn@4.4.2 @zxcvbn-ts/language-common@4.1.3 >/dev/null
	mkdir zxcvbn zxcvbn-ts
	tar xzf zxcvbn-4.4.2.tgz -C zxcvbn
	tar xzf zxcvbn-ts-language-common-4.1.3.tgz -C zxcvbn-ts
)

# Only entries of 8 or more code points are kept: shorter passwords are
# refused by the length rule (SEC-P2) before the blocklist is consulted.
node -e '
const dir = process.argv[1];
const lists = [
	require(dir + "/zxcvbn/package/lib/frequency_lists.js").passwords,
	require(dir + "/zxcvbn-ts/package/src/passwords.json"),
];
for (const list of lists) {
	for (const p of list) {
		const lower = p.toLowerCase();
		if ([...lower].length >= 8) console.log(lower);
	}
}
' "$tmp" | LC_ALL=C sort -u >passwords.txt
