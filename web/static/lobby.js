// Lobby: meeting name + display name → /room/NAME?name=X.
const form = document.getElementById('lobby');
const meeting = document.getElementById('meeting');
const name = document.getElementById('name');

name.value = localStorage.getItem('switchyard.name') || '';

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!form.reportValidity()) return;
  const n = name.value.trim();
  if (!n) { name.setCustomValidity('enter a name'); form.reportValidity(); name.setCustomValidity(''); return; }
  localStorage.setItem('switchyard.name', n);
  location.assign(`/room/${encodeURIComponent(meeting.value)}?name=${encodeURIComponent(n)}`);
});
