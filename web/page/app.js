// Placeholder page script: the real web client replaces this file.
const state = document.getElementById("state");
const socket = new WebSocket(`ws://${location.host}/ws`);
socket.addEventListener("open", () => {
  socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "status" }));
});
socket.addEventListener("message", (event) => {
  state.textContent = event.data;
});
socket.addEventListener("close", (event) => {
  state.textContent = `Disconnected (${event.code}).`;
});
