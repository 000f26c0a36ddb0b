// The playground: every control sets one theme key live, and the snippet reproduces the result.
window.Parley =
  window.Parley ||
  function () {
    (window.Parley.q = window.Parley.q || []).push(arguments);
  };

const form = document.getElementById('playground');
const snippet = document.getElementById('snippet');
const defaults = {};
for (const field of form.elements) if (field.name) defaults[field.name] = field.value;

/** The keys that differ from the widget's defaults, as a theme object. */
function currentTheme() {
  const theme = {};
  for (const field of form.elements) {
    if (!field.name || field.name === 'locale' || field.value === defaults[field.name]) continue;
    theme[field.name] = field.type === 'range' ? Number(field.value) : field.value;
  }
  return theme;
}

function escapeAttribute(text) {
  return text.replaceAll('&', '&amp;').replaceAll("'", '&#39;').replaceAll('<', '&lt;');
}

function update() {
  const theme = currentTheme();
  const locale = form.elements.locale.value;
  // Keys back at their default are cleared (null), so e.g. dark mode keeps its own colours.
  const cleared = Object.fromEntries(
    Object.keys(defaults)
      .filter((k) => k !== 'locale')
      .map((k) => [k, null]),
  );
  window.Parley('setTheme', { ...cleared, ...theme });
  window.Parley('setLocale', locale);
  const attributes = [`src="${location.origin}/parley.js"`, 'data-site="demo"'];
  if (Object.keys(theme).length) attributes.push(`data-theme='${escapeAttribute(JSON.stringify(theme))}'`);
  if (locale !== 'en') attributes.push(`data-locale="${locale}"`);
  snippet.textContent = `<script ${attributes.join(' ')} async></script>`;
}

form.addEventListener('input', update);
form.addEventListener('change', update);
document.getElementById('copy').addEventListener('click', async () => {
  await navigator.clipboard.writeText(snippet.textContent);
  document.getElementById('copied').textContent = 'Copied.';
});
update();
