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
