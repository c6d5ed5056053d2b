// node_server: Node's https server with requestCert and rejectUnauthorized, for test_client_peers_test.py.
//   node node_server.js PORT CERT KEY CA
const fs = require("fs");
const https = require("https");

const [port, cert, key, ca] = process.argv.slice(2);
const options = {
  cert: fs.readFileSync(cert),
  key: fs.readFileSync(key),
  ca: fs.readFileSync(ca),
  requestCert: true,
  rejectUnauthorized: true,
};
https
  .createServer(options, (request, response) => {
    const peer = request.socket.getPeerCertificate();
    response.end(`hello ${peer && peer.subject ? peer.subject.CN : "(no certificate)"}\n`);
  })
  .listen(Number(port), "127.0.0.1");
