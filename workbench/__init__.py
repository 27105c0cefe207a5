"""The LArCal Workbench Qt application: wires analysis_core to widgets."""
