"""Console callbacks: clientside; assets/console.js keeps the alert list."""
from dash import ClientsideFunction, Input, Output, clientside_callback

from layouts import ids

clientside_callback(
    ClientsideFunction(namespace="console", function_name="start"),
    Output(ids.CONSOLE_STARTED, "data"),
    Input(ids.CONSOLE_CONFIG, "data"),
)
