/* /case/<kind>/<ref>: the print button (the page itself is server-rendered). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("#case-print")) window.print();
  });
})();
