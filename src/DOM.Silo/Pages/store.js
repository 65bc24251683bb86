// The store page: today's capacity (set a new limit when staff come or go) and the lines to pick, reject, ship or
// hand over. A store key opens its own store; an operator names one.
import { api, act, signIn, showDone } from "./dom.js";
import { lineBoard } from "./lines.js";

signIn(["store", "operator"], caller => {
  const pick = document.getElementById("location-pick");
  if (caller.role === "store") {
    return open(caller.scope);
  }
  pick.hidden = false;
  pick.addEventListener("submit", event => {
    event.preventDefault();
    act(pick.querySelector("button"), () => open(pick.elements.location.value.trim()));
  });
});

async function open(store) {
  const board = lineBoard(document.getElementById("lines"), store, ["accepted", "picked", "packed", "shipped", "readyForPickup", "pickedUp", "rejected"]);
  const path = `/api/v1/locations/${encodeURIComponent(store)}/capacity`;
  const show = capacity => {
    document.getElementById("booked").textContent = capacity.booked;
    document.getElementById("limit").textContent = capacity.limit;
    document.getElementById("overbooked").hidden = !capacity.overbooked;
  };
  const form = document.getElementById("capacity-form");
  form.onsubmit = event => {
    event.preventDefault();
    act(form.querySelector("button"), async () => {
      show(await api("PUT", path, { limit: Number(form.elements.limit.value) }));
      form.reset();
      showDone("Today's limit is set.");
    });
  };
  const refresh = document.getElementById("refresh");
  refresh.onclick = () => act(refresh, async () => { show(await api("GET", path)); await board.load(); });
  show(await api("GET", path));
  await board.load();
}
