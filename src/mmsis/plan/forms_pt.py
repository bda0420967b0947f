"""Portuguese wording of the XLSForms (label, hint and constraint-message columns beside English
and French), keyed by the English text so the forms keep one source of truth.

Machine-drafted working translation by mmsis (status: assumption, not validated; to be reviewed
by a Portuguese-speaking field team, e.g. for Mozambican or Angolan usage). The Weiner et al.
2017 AIM/IAM/FIM items have no validated Portuguese version here either; docs/glossary.md
lists the domain terms used (CPN, MMS, FAF).
"""

from __future__ import annotations

PT: dict[str, str] = {
    # Weiner scales
    "MMS meets my approval.": "Os MMS têm a minha aprovação.",
    "MMS is appealing to me.": "Os MMS agradam-me.",
    "I like MMS.": "Gosto dos MMS.",
    "I welcome MMS.": "Acolho bem os MMS.",
    "MMS seems fitting.": "Os MMS parecem adequados.",
    "MMS seems suitable.": "Os MMS parecem convenientes.",
    "MMS seems applicable.": "Os MMS parecem aplicáveis.",
    "MMS seems like a good match.": "Os MMS parecem corresponder bem.",
    "MMS seems implementable.": "Os MMS parecem implementáveis.",
    "MMS seems possible.": "Os MMS parecem possíveis.",
    "MMS seems doable.": "Os MMS parecem exequíveis.",
    "MMS seems easy to use.": "Os MMS parecem fáceis de usar.",
    "Acceptability of MMS (AIM)": "Aceitabilidade dos MMS (AIM)",
    "Appropriateness of MMS (IAM)": "Adequação dos MMS (IAM)",
    "Feasibility of MMS (FIM)": "Exequibilidade dos MMS (FIM)",
    "How much do you agree with each statement about MMS?":
        "Até que ponto concorda com cada afirmação sobre os MMS?",
    # choices
    "Yes": "Sim", "No": "Não", "Don't know": "Não sabe",
    "Household interview": "Entrevista no agregado familiar",
    "Exit interview at a facility": "Entrevista à saída da unidade sanitária",
    "Currently pregnant": "Atualmente grávida",
    "Gave birth in the past 12 months": "Teve um parto nos últimos 12 meses",
    "MMS (multiple micronutrient tablets)": "MMS (comprimidos de múltiplos micronutrientes)",
    "Iron-folic acid (IFA)": "Ferro e ácido fólico (FAF)",
    "Both": "Ambos",
    "Public facility": "Unidade sanitária pública",
    "Community health worker": "Agente comunitário de saúde",
    "Private pharmacy or shop": "Farmácia ou loja privada",
    "Other": "Outro",
    "Forgot": "Esqueceu-se",
    "Side effects": "Efeitos secundários",
    "Ran out of tablets": "Acabaram os comprimidos",
    "Taste or smell": "Sabor ou cheiro",
    "Felt not needed": "Achou que não era necessário",
    "Family advised against": "A família desaconselhou",
    "None": "Nenhum",
    "Nausea or vomiting": "Náuseas ou vómitos",
    "Constipation": "Obstipação",
    "Stomach pain": "Dor de estômago",
    "Completely disagree": "Discordo totalmente",
    "Disagree": "Discordo",
    "Neither agree nor disagree": "Nem concordo nem discordo",
    "Agree": "Concordo",
    "Completely agree": "Concordo totalmente",
    "MMS": "MMS", "IFA": "FAF",
    "Done": "Feito", "Not done": "Não feito", "Not applicable": "Não se aplica",
    # form titles
    "MMS household and exit interview": "Entrevista no agregado familiar e à saída sobre MMS",
    "MMS facility readiness and fidelity checklist":
        "Lista de verificação de prontidão e fidelidade dos MMS",
    "MMS stock-card audit": "Auditoria das fichas de stock de MMS",
    # household survey
    "Type of interview": "Tipo de entrevista",
    "District": "Distrito",
    "Facility": "Unidade sanitária",
    "Facility name": "Nome da unidade sanitária",
    "Cluster (enumeration area) code": "Código do conglomerado (área de enumeração)",
    "Do you agree to take part in this interview?": "Aceita participar nesta entrevista?",
    "Interview": "Entrevista",
    "Age in completed years": "Idade em anos completos",
    "Age must be 15-49": "A idade deve estar entre 15 e 49 anos",
    "Pregnancy status": "Estado de gravidez",
    "Months pregnant now": "Meses de gravidez atuais",
    "Did you see anyone for antenatal care during this pregnancy?":
        "Consultou alguém para cuidados pré-natais durante esta gravidez?",
    "How many antenatal visits?": "Quantas consultas pré-natais?",
    "Months pregnant at the first antenatal visit":
        "Meses de gravidez na primeira consulta pré-natal",
    "During this pregnancy, were you given or did you buy tablets for pregnancy "
    "(iron or multiple micronutrients)?":
        "Durante esta gravidez, recebeu ou comprou comprimidos para a gravidez "
        "(ferro ou múltiplos micronutrientes)?",
    "Which tablets? (show the product photos)": "Que comprimidos? (mostrar as fotos dos produtos)",
    "Where did you get them?": "Onde os obteve?",
    "How many tablets did you receive in total?": "Quantos comprimidos recebeu no total?",
    "Enter 998 if she does not know": "Introduza 998 se ela não souber",
    "How many of these tablets have you taken?": "Quantos destes comprimidos já tomou?",
    "Cannot exceed the tablets received": "Não pode exceder os comprimidos recebidos",
    "Did you take a tablet yesterday?": "Tomou um comprimido ontem?",
    "Why not?": "Porque não?",
    "Can I see the bottle? (pill count)": "Posso ver o frasco? (contagem dos comprimidos)",
    "Tablets left in the bottle": "Comprimidos que restam no frasco",
    "Side effects since starting": "Efeitos secundários desde o início",
    "'None' cannot be combined": "'Nenhum' não pode ser combinado",
    "Did a health worker explain how to take the tablets?":
        "Um profissional de saúde explicou-lhe como tomar os comprimidos?",
    # facility checklist
    "Facility code": "Código da unidade sanitária",
    "Assessor name": "Nome do avaliador",
    "Is MMS in stock today (physical check)?": "Há MMS em stock hoje (verificação física)?",
    "Number of MMS bottles in store": "Número de frascos de MMS em armazém",
    "Earliest expiry date among MMS bottles":
        "Data de validade mais próxima entre os frascos de MMS",
    "Any MMS stock-out in the past 3 months?": "Alguma rotura de stock de MMS nos últimos 3 meses?",
    "Days stocked out in the past 3 months": "Dias em rotura de stock nos últimos 3 meses",
    "MMS guideline or job aid available?": "Norma ou material de apoio sobre MMS disponível?",
    "ANC staff on duty": "Pessoal de CPN em serviço",
    "Of these, trained on MMS": "Destes, formados em MMS",
    "Cannot exceed ANC staff": "Não pode exceder o pessoal de CPN",
    "Number of ANC consultations observed": "Número de consultas de CPN observadas",
    "Observed consultation": "Consulta observada",
    "MMS given or prescribed": "MMS entregues ou prescritos",
    "Explained: one tablet daily": "Explicou: um comprimido por dia",
    "Explained: take through pregnancy (180 tablets)":
        "Explicou: tomar durante toda a gravidez (180 comprimidos)",
    "Explained side effects and what to do": "Explicou os efeitos secundários e o que fazer",
    "Asked about tablets taken since last visit":
        "Perguntou pelos comprimidos tomados desde a última consulta",
    "Tablets given at this visit": "Comprimidos entregues nesta consulta",
    # stock-card audit
    "Product audited": "Produto auditado",
    "Is there a stock card for this product?": "Existe uma ficha de stock para este produto?",
    "Stock card": "Ficha de stock",
    "Stock card updated in the past 30 days?": "Ficha de stock atualizada nos últimos 30 dias?",
    "Months of records reviewed": "Meses de registos revistos",
    "Month on the card": "Mês na ficha",
    "Month (any day in it)": "Mês (qualquer dia desse mês)",
    "Opening balance (tablets)": "Saldo inicial (comprimidos)",
    "Received": "Recebido",
    "Issued": "Distribuído",
    "Closing balance recorded": "Saldo final registado",
    "Days stocked out this month": "Dias em rotura de stock este mês",
    "Latest balance on the card (tablets)": "Último saldo na ficha (comprimidos)",
    "Physical count today (tablets)": "Contagem física hoje (comprimidos)",
}
