/**
 * The demo page: `/` (HTML) and `/app.js` (its script), served by src/main.ts. No inline script or style, so the
 * page runs under a strict Content-Security-Policy (`default-src 'none'`; scripts, styles and the WebSocket from
 * this origin only). Every value from the server is written with `textContent`, never as HTML.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>eventgen live demo</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>Live trading demo</h1>
  <p class="warning">Demo tokens (<code>demo:&lt;userId&gt;</code>) are for this demo only: anyone can claim any user.</p>
  <p>Signed in as <strong id="user"></strong> · connection <span id="state">connecting</span> · <a href="?user=u1">u1</a> · <a href="?user=u2">u2</a></p>
</header>
<main>
  <section>
    <h2>Prices <small>(public: everyone)</small></h2>
    <table id="prices"><thead><tr><th>Symbol</th><th>Price</th><th>Currency</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>My orders <small>(confidential: only their owner)</small></h2>
    <ol id="orders"></ol>
  </section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `body{font-family:system-ui,sans-serif;margin:2rem;max-width:56rem}
.warning{background:#fff4ce;padding:.4rem .6rem;border-radius:4px}
table{border-collapse:collapse}td,th{padding:.2rem .8rem;border-bottom:1px solid #ddd;text-align:left}
main{display:grid;grid-template-columns:1fr 1fr;gap:2rem}ol{max-height:24rem;overflow:auto}
`;

/** The page's script; `channels` are the channel names the generated LIVE_CHANNELS give for prices and orders. */
export function pageScript(channels: { prices: string; orders: string }): string {
  return `'use strict';
(function () {
  var params = new URLSearchParams(location.search);
  var user = /^[A-Za-z0-9_-]{1,32}$/.test(params.get('user') || '') ? params.get('user') : 'u1';
  document.getElementById('user').textContent = user;
  var state = document.getElementById('state');
  var prices = document.querySelector('#prices tbody');
  var orders = document.getElementById('orders');
  var rows = Object.create(null);
  var CHANNELS = ${JSON.stringify(channels).replace(/</g, '\\u003c')};
  function connect() {
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    var ws = new WebSocket(proto + '//' + location.host + '/ws?token=' + encodeURIComponent('demo:' + user));
    ws.onopen = function () {
      state.textContent = 'open';
      ws.send(JSON.stringify({ op: 'subscribe', channel: CHANNELS.prices }));
      ws.send(JSON.stringify({ op: 'subscribe', channel: CHANNELS.orders }));
    };
    ws.onclose = function () { state.textContent = 'closed, reconnecting'; setTimeout(connect, 1000); };
    ws.onmessage = function (m) {
      var frame;
      try { frame = JSON.parse(m.data); } catch (e) { return; }
      if (frame.type !== 'event') return;
      var md = frame.event.metadata, d = frame.event.data;
      if (md.eventType === 'price.updated') {
        var row = rows[d.symbol];
        if (!row) {
          row = rows[d.symbol] = document.createElement('tr');
          row.dataset.symbol = d.symbol;
          for (var i = 0; i < 3; i++) row.appendChild(document.createElement('td'));
          prices.appendChild(row);
        }
        row.cells[0].textContent = d.symbol;
        row.cells[1].textContent = Number(d.price).toFixed(2);
        row.cells[2].textContent = d.currency;
      } else if (md.eventType.indexOf('order.') === 0) {
        var li = document.createElement('li');
        li.dataset.user = d.userId;
        li.textContent = md.eventType + ' ' + d.orderId + ' (' + d.userId + ')' + (d.symbol ? ' ' + d.side + ' ' + d.quantity + ' ' + d.symbol : ' filled at ' + Number(d.price).toFixed(2));
        orders.insertBefore(li, orders.firstChild);
        while (orders.childNodes.length > 50) orders.removeChild(orders.lastChild);
      }
    };
  }
  connect();
})();
`;
}
