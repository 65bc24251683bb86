// The drop-ship partner portal: the lines routed to the partner, to confirm, ship with a tracking number, or reject
// (the units are then routed elsewhere). A partner key opens its own lines; an operator names a partner.
import { act } from "./dom.js";
import { autoRefresh, lineBoard, signInAtLocation } from "./lines.js";

signInAtLocation("partner", open);

async function open(partner) {
  document.querySelector("h1").textContent = `Partner portal: ${partner}`;
  const board = lineBoard(document.getElementById("lines"), partner, ["accepted", "shipped", "rejected"]);
  const refresh = document.getElementById("refresh");
  refresh.onclick = () => act(refresh, board.load);
  autoRefresh(document.getElementById("lines"), board.load);
  await board.load();
}
