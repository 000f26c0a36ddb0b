// The host page's part of silent sign-in: ask our own server for a token, hand it to Parley.
window.Parley =
  window.Parley ||
  function () {
    (window.Parley.q = window.Parley.q || []).push(arguments);
  };

for (const button of document.querySelectorAll('[data-host-user]')) {
  button.addEventListener('click', async () => {
    const user = button.getAttribute('data-host-user');
    const status = document.getElementById('host-status');
    const response = await fetch(`/demo/identity-token?user=${encodeURIComponent(user)}`);
    const result = await response.json();
    if (!result.ok) {
      status.textContent = result.error.message;
      return;
    }
    status.textContent = `Signed in to Riverside Makers as ${user}.`;
    window.Parley('login', { token: result.data.token });
    window.Parley('open');
  });
}
