// Passkeys on the example's pages. A button with data-passkey="register",
// "login", "second-factor" or "reauthenticate" runs that ceremony: it asks
// the server for the options (POST …/begin), hands them to the browser
// (navigator.credentials.create or get), posts the browser's answer to
// …/finish, and goes on to the page the button's data-next names. Errors
// are shown in the element with id "passkey-error".
"use strict";

const ceremonies = {
  register: { path: "/passkeys/register", create: true },
  login: { path: "/login/passkey" },
  "second-factor": { path: "/login/second-factor/passkey" },
  reauthenticate: { path: "/reauthenticate/passkey" },
};

function fromB64url(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
}

function toB64url(buf) {
  const s = String.fromCharCode(...new Uint8Array(buf));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// options decodes the server's JSON options for the browser, with the
// browser's own parser where it has one.
function options(json, create) {
  const pk = json.publicKey;
  if (create && PublicKeyCredential.parseCreationOptionsFromJSON) {
    return { publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(pk) };
  }
  if (!create && PublicKeyCredential.parseRequestOptionsFromJSON) {
    return { publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(pk) };
  }
  pk.challenge = fromB64url(pk.challenge);
  if (pk.user) pk.user.id = fromB64url(pk.user.id);
  for (const c of pk.excludeCredentials || []) c.id = fromB64url(c.id);
  for (const c of pk.allowCredentials || []) c.id = fromB64url(c.id);
  return { publicKey: pk };
}

// answer encodes the browser's credential as JSON for the server.
function answer(cred) {
  if (cred.toJSON) return cred.toJSON();
  const r = cred.response;
  const out = { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, clientExtensionResults: {}, response: {} };
  for (const k of ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"]) {
    if (r[k]) out.response[k] = toB64url(r[k]);
  }
  if (r.getTransports) out.response.transports = r.getTransports();
  return out;
}

async function post(path, body) {
  const resp = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? "" : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = resp.status === 204 ? {} : await resp.json();
  if (!resp.ok && resp.status !== 202) throw new Error(data.error ? data.error.message : resp.statusText);
  return { status: resp.status, data };
}

async function run(button) {
  const kind = ceremonies[button.dataset.passkey];
  const begun = await post(kind.path + "/begin");
  const opts = options(begun.data, kind.create);
  const cred = kind.create ? await navigator.credentials.create(opts) : await navigator.credentials.get(opts);
  const body = { credential: answer(cred) };
  const form = button.closest("form");
  if (kind.create) body.name = form.querySelector("[name=name]").value;
  if (button.dataset.passkey === "login") {
    const remember = document.querySelector("[name=remember]"); // the password form's
    body.remember = remember !== null && remember.checked;
  }
  const done = await post(kind.path + "/finish", body);
  if (done.status === 202) {
    location.assign("/login/second-factor?next=" + encodeURIComponent(button.dataset.next));
    return;
  }
  location.assign(button.dataset.next);
}

for (const button of document.querySelectorAll("[data-passkey]")) {
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    const shown = document.getElementById("passkey-error");
    shown.hidden = true;
    try {
      if (!window.PublicKeyCredential) throw new Error("This browser does not support passkeys.");
      await run(button);
    } catch (err) {
      shown.textContent = "The passkey did not work: " + err.message;
      shown.hidden = false;
    }
  });
}
