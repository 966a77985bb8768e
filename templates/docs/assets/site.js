/*
 * eventgen docs site: client-side search over events, topics, consumer groups, shared schemas and field
 * names. The index is `assets/search-index.js` (a global set by a plain script: works from file://). No
 * network requests, no eval, no innerHTML: results are built with DOM methods and textContent.
 */
(function () {
  'use strict';
  var KIND = { e: 'event', t: 'topic', g: 'group', s: 'schema' };
  var MAX = 12;

  function norm(s) {
    return String(s || '').toLowerCase();
  }

  function score(entry, terms) {
    var name = norm(entry.n);
    var desc = norm(entry.d);
    var fields = (entry.f || []).map(norm);
    var total = 0;
    var matchedField = null;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i];
      var s = 0;
      if (name === t) s = 100;
      else if (name.indexOf(t) === 0) s = 60;
      else if (name.indexOf(t) > 0) s = 40;
      else {
        for (var j = 0; j < fields.length; j++) {
          var f = fields[j];
          var leaf = f.slice(f.lastIndexOf('.') + 1);
          if (leaf === t || f === t) { s = 30; matchedField = entry.f[j]; break; }
          if (f.indexOf(t) >= 0 && s < 20) { s = 20; matchedField = entry.f[j]; }
        }
        if (s === 0 && desc.indexOf(t) >= 0) s = 10;
      }
      if (s === 0) return null;
      total += s;
    }
    return { score: total, field: matchedField };
  }

  function search(index, query) {
    var terms = norm(query).split(/\s+/).filter(Boolean);
    if (terms.length === 0) return [];
    var hits = [];
    for (var i = 0; i < index.length; i++) {
      var r = score(index[i], terms);
      if (r) hits.push({ entry: index[i], score: r.score, field: r.field, order: i });
    }
    hits.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    return hits.slice(0, MAX);
  }

  function safePage(u) {
    // Index pages are our own relative paths; refuse anything else (defence in depth).
    return typeof u === 'string' && /^[a-z]+\/[^:]*\.html$|^index\.html$/.test(u) ? u : null;
  }

  function init() {
    var index = window.EVENTGEN_SEARCH;
    var box = document.getElementById('search');
    var input = document.getElementById('search-input');
    var list = document.getElementById('search-results');
    if (!Array.isArray(index) || !box || !input || !list) return;
    var root = document.body.getAttribute('data-root') || '';
    box.hidden = false;
    var active = -1;

    function links() {
      return list.querySelectorAll('a');
    }

    function setActive(i) {
      var items = links();
      if (items.length === 0) { active = -1; return; }
      active = (i + items.length) % items.length;
      for (var k = 0; k < items.length; k++) items[k].setAttribute('aria-current', k === active ? 'true' : 'false');
      items[active].scrollIntoView({ block: 'nearest' });
    }

    function render() {
      var hits = search(index, input.value);
      while (list.firstChild) list.removeChild(list.firstChild);
      active = -1;
      if (input.value.trim() === '') { list.hidden = true; return; }
      if (hits.length === 0) {
        var none = document.createElement('li');
        none.className = 'search-empty';
        none.textContent = 'No match';
        list.appendChild(none);
      }
      hits.forEach(function (hit) {
        var page = safePage(hit.entry.u);
        if (!page) return;
        var li = document.createElement('li');
        var a = document.createElement('a');
        a.href = root + page;
        var kind = document.createElement('span');
        kind.className = 'search-kind kind-' + hit.entry.k;
        kind.textContent = KIND[hit.entry.k] || '';
        var name = document.createElement('span');
        name.className = 'search-name';
        name.textContent = hit.entry.n;
        a.appendChild(kind);
        a.appendChild(name);
        var detail = hit.field ? 'field ' + hit.field : hit.entry.d;
        if (detail) {
          var d = document.createElement('span');
          d.className = 'search-detail';
          d.textContent = detail;
          a.appendChild(d);
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = false;
    }

    input.addEventListener('input', render);
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'ArrowDown') { ev.preventDefault(); setActive(active + 1); }
      else if (ev.key === 'ArrowUp') { ev.preventDefault(); setActive(active - 1); }
      else if (ev.key === 'Enter') {
        var items = links();
        var target = items[active >= 0 ? active : 0];
        if (target) { ev.preventDefault(); window.location.href = target.href; }
      } else if (ev.key === 'Escape') { input.value = ''; render(); }
    });
    document.addEventListener('keydown', function (ev) {
      if (ev.key === '/' && document.activeElement !== input) { ev.preventDefault(); input.focus(); }
    });
    document.addEventListener('click', function (ev) {
      if (!box.contains(ev.target)) list.hidden = true;
    });
    input.addEventListener('focus', function () { if (input.value.trim() !== '') render(); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
