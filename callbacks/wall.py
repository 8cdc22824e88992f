"""Wall callbacks: clientside only. The browser keeps the wall's state
(assets/wall.js); Dash hands it the page's configuration once."""
from dash import ClientsideFunction, Input, Output, clientside_callback

from layouts import ids

clientside_callback(
    ClientsideFunction(namespace="wall", function_name="start"),
    Output(ids.WALL_STARTED, "data"),
    Input(ids.WALL_CONFIG, "data"),
)
