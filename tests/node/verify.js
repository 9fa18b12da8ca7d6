// Verifies a delivery the way the spec's receivers do. Usage: node verify.js BODY_FILE SIGNATURE SECRET
// Prints {"raw": bool, "restringified": bool}: the raw bytes, and JSON.stringify(JSON.parse(body))
// as the spec's Express example verifies them.
const crypto = require('crypto');
const fs = require('fs');

// The spec's function, verbatim.
function verifyWebhookSignature(payload, signature, secret) {
  const hmac = crypto.createHmac('sha256', secret);
  const digest = 'sha256=' + hmac.update(payload).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(digest));
}

const [bodyFile, signature, secret] = process.argv.slice(2);
const raw = fs.readFileSync(bodyFile);
const parsed = JSON.parse(raw.toString('utf8'));  // what express.json() puts in req.body
console.log(JSON.stringify({
  raw: verifyWebhookSignature(raw, signature, secret),
  restringified: verifyWebhookSignature(JSON.stringify(parsed), signature, secret),
}));
