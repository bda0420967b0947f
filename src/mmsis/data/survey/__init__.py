"""Survey microdata: readers (CSV, Stata .dta) and declarative survey profiles."""

from mmsis.data.survey.profile import SurveyProfile, available_profiles, load_profile
from mmsis.data.survey.read import read_survey
from mmsis.data.survey.recode import RecodedSurvey, recode

__all__ = [
    "RecodedSurvey",
    "SurveyProfile",
    "available_profiles",
    "load_profile",
    "read_survey",
    "recode",
]
