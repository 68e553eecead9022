// The 绩效KPI ribbon buttons of manifest.xml: each runs one script of xl_kpi.addin
// (served from custom_scripts) through xlwings Server.
async function runKpiScript(scriptName, event) {
  let authResult =
    typeof globalThis.getAuth === "function"
      ? await globalThis.getAuth()
      : { token: "", provider: "" };
  try {
    await xlwings.runPython({
      auth: authResult.token,
      scriptName: scriptName,
      headers: { "Auth-Provider": authResult.provider },
    });
  } finally {
    event.completed();
  }
}
Office.actions.associate("kpi-generate", (event) => runKpiScript("generate", event));
Office.actions.associate("kpi-score", (event) => runKpiScript("score", event));
Office.actions.associate("kpi-rollup", (event) => runKpiScript("rollup", event));
Office.actions.associate("kpi-send", (event) => runKpiScript("send", event));
Office.actions.associate("kpi-collect", (event) => runKpiScript("collect", event));
