// Loaded by the built book after RequireJS and before the ipywidgets embed manager
// (_config.yml, nb_ipywidgets_js); tools/build-book.sh copies it into _static/vendor/.
(function () {
  // Widget modules resolve under _static/vendor/npm/, wherever the page sits: the manager's
  // own fonts are there, and a third-party widget module "name" is served as npm/name.js.
  var here = document.currentScript.src;
  require.config({ baseUrl: here.slice(0, here.lastIndexOf("/") + 1) + "npm/" });

  // ipywidgets 8 still typesets labels with the MathJax 2 call MathJax.Hub.Queue; the book
  // ships MathJax 3.  This listener runs before the manager renders (also on "load").
  window.addEventListener("load", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function (job) {
        var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
        ready.then(function () { return mj.typesetPromise([job[2]]); });
      },
    };
  });
})();
