// The home page: reserve upcoming sessions from their cards.
import { wireReserveButtons } from "./reserve.js";

wireReserveButtons(document.getElementById("upcoming") || document);
