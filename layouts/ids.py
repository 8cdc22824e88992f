"""Component ids, in one place, so layouts, callbacks and assets agree."""

WALL_CONFIG = "wall-config"          # dcc.Store: unit, lang, labels for assets/wall.js
WALL_STARTED = "wall-started"        # dcc.Store written by the clientside init
WALL_ROOT = "wall-root"
WALL_CLOCK = "wall-clock"
WALL_DATE = "wall-date"
WALL_BADGE = "wall-connection"
WALL_LAST_AGE = "wall-last-age"
WALL_NOTICE = "wall-notice"
WALL_KPIS = "wall-kpis"
WALL_TICKER = "wall-ticker"
WALL_OPEN_ITEMS = "wall-open-items"
WALL_BANNER = "wall-banner"
WALL_MUTE = "wall-mute"

CONSOLE_CONFIG = "console-config"
CONSOLE_STARTED = "console-started"
CONSOLE_BADGE = "console-connection"
CONSOLE_FILTER_PENDING = "console-filter-pending"
CONSOLE_FILTER_ALL = "console-filter-all"
CONSOLE_MESSAGE = "console-message"
CONSOLE_ROWS = "console-rows"
CONSOLE_EMPTY = "console-empty"
