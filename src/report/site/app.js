// The experiment page's script (plain browser JavaScript, no build step): draws each Vega-Lite
// spec of data.js with vega-embed and fills the tables. When everything is drawn it sets
// <html data-state="ready"> (or "error" with data-error), which the browser test waits for.
(function () {
  'use strict';
  var site = window.CIFAR10_SITE;
  var data = site.data;
  var root = document.documentElement;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    return node;
  }
  function pct(v) {
    return (v * 100).toFixed(1) + '%';
  }
  function day(iso) {
    return iso ? iso.slice(0, 10) : '';
  }
  function table(headers, rows) {
    var t = el('table');
    var head = el('tr');
    headers.forEach(function (h) {
      head.appendChild(el('th', h));
    });
    t.appendChild(el('thead')).appendChild(head);
    var body = t.appendChild(el('tbody'));
    rows.forEach(function (cells) {
      var tr = body.appendChild(el('tr'));
      cells.forEach(function (c) {
        tr.appendChild(c instanceof Node ? el('td').appendChild(c).parentNode : el('td', c));
      });
    });
    return t;
  }
  function link(text, href) {
    return href ? el('a', text, { href: href }) : document.createTextNode(text);
  }

  var c = data.counts;
  document.getElementById('summary').textContent =
    c.runs + ' runs in ' + c.matrices + ' matrices' + (c.first ? ', ' + day(c.first) + ' to ' + day(c.last) : '') + '. Generated ' + day(data.generated) + '.';
  var footer = document.getElementById('footer');
  if (data.historyFile) footer.appendChild(link('history.jsonl', data.historyFile));
  if (data.repository) {
    footer.appendChild(document.createTextNode(' · '));
    footer.appendChild(link(data.repository, 'https://github.com/' + data.repository));
  }

  var confusion = document.getElementById('confusion');
  Object.keys(site.specs)
    .filter(function (id) {
      return id.indexOf('confusion-') === 0;
    })
    .forEach(function (id) {
      confusion.appendChild(el('div', null, { id: id, class: 'chart' }));
    });
  if (data.confusion.length === 0) confusion.appendChild(el('p', 'No result bundles were given to the page (cifar10 site --results).'));

  var hard = document.getElementById('hard');
  if (data.hardSheet) hard.appendChild(el('img', null, { src: data.hardSheet, alt: 'The hardest images with their true and most frequent wrong label' }));
  hard.appendChild(
    data.hard.length === 0
      ? el('p', 'No image is hard in the latest matrix.')
      : table(
          ['image', 'class', 'taken for', 'error rate', 'hard since', 'matrices in a row'],
          data.hard.map(function (h) {
            return [h.id, h.class, h.wrongAs, pct(h.errorRate), day(h.since), h.matrices];
          }),
        ),
  );

  document.getElementById('runs').appendChild(
    table(
      ['date (UTC)', 'workflow run', 'commit', 'runs', 'versions', 'best accuracy'],
      data.runs.map(function (r) {
        return [r.date.slice(0, 16).replace('T', ' '), link(r.label, r.url), r.commit.slice(0, 7), r.runs, r.versions.join(', '), pct(r.bestAccuracy)];
      }),
    ),
  );

  var options = { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } };
  Promise.all(
    Object.keys(site.specs).map(function (id) {
      return vegaEmbed('#' + id, site.specs[id], options);
    }),
  ).then(
    function () {
      root.setAttribute('data-state', 'ready');
    },
    function (error) {
      root.setAttribute('data-state', 'error');
      root.setAttribute('data-error', String((error && error.message) || error));
      console.error(error);
    },
  );
})();
