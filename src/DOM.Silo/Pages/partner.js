// The drop-ship partner portal: the lines routed to the partner, to confirm, ship with a tracking number, or reject
// (the units are then routed elsewhere). A partner key opens its own lines; an operator names a partner.
import { act, signIn } from "./dom.js";
import { lineBoard } from "./lines.js";

signIn(["partner", "operator"], caller => {
  const pick = document.getElementById("location-pick");
  if (caller.role === "partner") {
    return open(caller.scope);
  }
  pick.hidden = false;
  pick.addEventListener("submit", event => {
    event.preventDefault();
    act(pick.querySelector("button"), () => open(pick.elements.location.value.trim()));
  });
});

async function open(partner) {
  const board = lineBoard(document.getElementById("lines"), partner, ["accepted", "shipped", "rejected"]);
  const refresh = document.getElementById("refresh");
  refresh.onclick = () => act(refresh, board.load);
  await board.load();
}
